# SPDX-License-Identifier: GPL-2.0
# Summaries of repetitions, shared by render.jq (make bench, timed) and
# icount.jq (make bench-icount, counted): include "stats"; with
# jq -L selftests/benchs.

# two-sided 95 % Student t quantiles by degrees of freedom
def tq: [0, 12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262,
  2.228, 2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086];
def mean: if length == 0 then null else add / length end;
def sd: (mean) as $m | if length < 2 then 0 else (map(. - $m | . * .) | add / (length - 1) | sqrt) end;
def median: sort | if length == 0 then null
	elif length % 2 == 1 then .[(length / 2) | floor]
	else (.[length / 2 - 1] + .[length / 2]) / 2 end;
# the 95 % t-interval of the mean, [low, high]
def ci: if length < 2 then [.[0], .[0]] else
  (mean) as $m | (sd / (length | sqrt) * (tq[length - 1] // 1.96)) as $h | [$m - $h, $m + $h] end;
