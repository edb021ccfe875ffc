#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Validate the Kubernetes manifests and collector configs (YAML syntax and
the parts pinsight relies on), and write the DaemonSet's ConfigMap
pinsight.conf to CONF_OUT so `pinsight-load --config CONF_OUT check` can
check it too. (Debian's promtool is built without Kubernetes discovery, so
it cannot check the scrape job.)
Usage: check.py DAEMONSET.yaml SCRAPE.yaml OTEL.yaml CONF_OUT
Exit 0 when all holds, 1 with the problems listed otherwise.
"""
import sys

import yaml


def main():
    ds_file, scrape_file, otel_file, conf_out = sys.argv[1:5]
    problems = []
    docs = [d for d in yaml.safe_load_all(open(ds_file)) if d]
    kinds = {d["kind"]: d for d in docs}
    for k in ("Namespace", "ConfigMap", "DaemonSet"):
        if k not in kinds:
            problems.append(f"{ds_file}: no {k}")
    ds = kinds.get("DaemonSet", {})
    pod = ds.get("spec", {}).get("template", {}).get("spec", {})
    init = pod.get("initContainers", [])
    if not any(c.get("command", [])[:2] == ["pinsight-load", "--config"]
               for c in init):
        problems.append("no init container runs pinsight-load --config")
    paths = [v.get("hostPath", {}).get("path") for v in pod.get("volumes", [])]
    if "/sys/fs/bpf" not in paths:
        problems.append("no hostPath /sys/fs/bpf volume")
    ports = [p.get("containerPort") for c in pod.get("containers", [])
             for p in c.get("ports", [])]
    if 9435 not in ports:
        problems.append("no container serves port 9435")
    cmds = [" ".join(c.get("command", [])) for c in pod.get("containers", [])]
    if not any("pinsight metrics --http" in c for c in cmds):
        problems.append("no container runs pinsight metrics --http")
    ann = ds.get("spec", {}).get("template", {}).get("metadata", {}) \
        .get("annotations", {})
    if ann.get("prometheus.io/port") != "9435":
        problems.append("pod not annotated for scraping on 9435")
    conf = kinds.get("ConfigMap", {}).get("data", {}).get("pinsight.conf")
    if not conf:
        problems.append("ConfigMap has no pinsight.conf")
    else:
        open(conf_out, "w").write(conf)
    scrape = yaml.safe_load(open(scrape_file))
    jobs = [j for j in scrape.get("scrape_configs", [])
            if j.get("job_name") == "pinsight" and j.get("kubernetes_sd_configs")]
    if not jobs:
        problems.append(f"{scrape_file}: no pinsight job with kubernetes_sd_configs")
    otel = yaml.safe_load(open(otel_file))
    pipe = otel.get("service", {}).get("pipelines", {}).get("metrics", {})
    if "prometheus" not in pipe.get("receivers", []):
        problems.append(f"{otel_file}: metrics pipeline lacks the prometheus receiver")
    for p in problems:
        print(p)
    print(f"{len(docs)} manifests, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
