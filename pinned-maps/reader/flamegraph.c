// SPDX-License-Identifier: GPL-2.0
/*
 * A self-contained interactive SVG flame graph, in the spirit of
 * flamegraph.pl: the layout is computed here; a little inline script adds
 * click-to-zoom, search (with the matched share) and tooltips (<title>).
 * No external scripts, fonts or network.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "flamegraph.h"

#define FG_WIDTH  1200
#define FG_ROW	  16
#define FG_PAD	  40 /* room for the title and search line */
#define FG_MIN_PX 0.1 /* narrower frames are not drawn */

struct node {
	const char *name;
	bool kernel;
	__u64 value;
	__s64 delta; /* diff: NEW minus BASE, summed like value */
	struct node *child,
		*next; /* children sorted by name, for a stable layout */
};

static struct node *node_child(struct node *parent, const char *name,
			       bool kernel)
{
	struct node **pp, *n;
	int c;

	for (pp = &parent->child; *pp; pp = &(*pp)->next) {
		c = strcmp((*pp)->name, name);
		if (!c)
			return *pp;
		if (c > 0)
			break;
	}
	n = calloc(1, sizeof(*n));
	if (!n)
		return NULL;
	n->name = name;
	n->kernel = kernel;
	n->next = *pp;
	*pp = n;
	return n;
}

static void node_free(struct node *n)
{
	struct node *c, *next;

	for (c = n->child; c; c = next) {
		next = c->next;
		node_free(c);
	}
	free(n);
}

static int depth_of(const struct node *n)
{
	const struct node *c;
	int d = 0, x;

	for (c = n->child; c; c = c->next) {
		x = depth_of(c);
		if (x > d)
			d = x;
	}
	return d + 1;
}

static void xml_escape(FILE *f, const char *s, size_t max)
{
	size_t i;

	for (i = 0; *s && i < max; s++, i++) {
		switch (*s) {
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '&':
			fputs("&amp;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		case '\'':
			fputs("&apos;", f);
			break;
		default:
			/* control bytes are not allowed in XML 1.0 */
			fputc((unsigned char)*s < 0x20 ? '?' : *s, f);
		}
	}
}

/*
 * flamegraph.pl's "hot" palette, seeded by the name so colours are stable;
 * in a diff (maxd > 0), red for growth and blue for shrinkage, deeper the
 * larger the change against the largest one (flamegraph.pl --diff).
 */
static void color(const struct node *n, __u64 maxd, char *buf, size_t sz)
{
	unsigned int h = 5381, c;
	const char *p;

	if (maxd) {
		c = 230 - (unsigned int)(230.0 *
					 (n->delta < 0 ? -n->delta : n->delta) /
					 maxd);
		if (n->delta > 0)
			snprintf(buf, sz, "rgb(255,%u,%u)", c, c);
		else if (n->delta < 0)
			snprintf(buf, sz, "rgb(%u,%u,255)", c, c);
		else
			snprintf(buf, sz, "rgb(240,240,240)");
		return;
	}

	for (p = n->name; *p; p++)
		h = h * 33 + (unsigned char)*p;
	if (n->kernel) /* kernel frames: orange-brown, as in perf's graphs */
		snprintf(buf, sz, "rgb(%u,%u,%u)", 200 + h % 55,
			 110 + (h >> 8) % 60, 40 + (h >> 16) % 30);
	else
		snprintf(buf, sz, "rgb(%u,%u,%u)", 205 + h % 50, (h >> 8) % 230,
			 (h >> 16) % 55);
}

static void emit(FILE *f, const struct node *n, __u64 total, __u64 maxd,
		 double x, int level, int height)
{
	double w = total ? (double)n->value * FG_WIDTH / total : 0;
	double y = height - FG_ROW * (level + 1) - 4;
	const struct node *c;
	size_t chars;
	char fill[32];

	if (w < FG_MIN_PX)
		return;
	color(n, maxd, fill, sizeof(fill));
	fprintf(f, "<g class=\"f\"><title>");
	xml_escape(f, n->name, 4096);
	fprintf(f, " (%llu samples, %.2f%%", (unsigned long long)n->value,
		100.0 * n->value / total);
	if (maxd)
		fprintf(f, ", %+lld", (long long)n->delta);
	fprintf(f, ")</title>");
	fprintf(f,
		"<rect x=\"%.2f\" y=\"%.0f\" width=\"%.2f\" height=\"%d\" "
		"fill=\"%s\" rx=\"2\" fx=\"%.4f\" fw=\"%.4f\"/>",
		x, y, w, FG_ROW - 1, fill, x, w);
	fprintf(f, "<text x=\"%.2f\" y=\"%.0f\">", x + 3, y + FG_ROW - 4);
	/* about 7 px per character at 12 px; the script redoes this on zoom */
	chars = w > 21 ? (size_t)((w - 6) / 7) : 0;
	if (chars) {
		xml_escape(f, n->name,
			   chars < strlen(n->name) ? chars - 2 : chars);
		if (chars < strlen(n->name))
			fputs("..", f);
	}
	fputs("</text></g>\n", f);
	for (c = n->child; c; c = c->next) {
		emit(f, c, total, maxd, x, level + 1, height);
		x += total ? (double)c->value * FG_WIDTH / total : 0;
	}
}

static const char fg_script[] =
	"<script type=\"text/ecmascript\"><![CDATA[\n"
	"'use strict';\n"
	"var svg = document.documentElement, W = %d;\n"
	"var frames = Array.prototype.slice.call(document.querySelectorAll('g.f'));\n"
	"var info = document.getElementById('info');\n"
	"function fit(g, x, w) {\n"
	"  var r = g.querySelector('rect'), t = g.querySelector('text');\n"
	"  var name = g.querySelector('title').textContent.replace(/ \\(\\d+ samples.*$/, '');\n"
	"  r.setAttribute('x', x); r.setAttribute('width', w);\n"
	"  t.setAttribute('x', x + 3);\n"
	"  var n = Math.floor((w - 6) / 7);\n"
	"  t.textContent = n < 3 ? '' : (name.length <= n ? name : name.slice(0, n - 2) + '..');\n"
	"}\n"
	"function zoom(g) {\n"
	"  var r = g.querySelector('rect');\n"
	"  var zx = +r.getAttribute('fx'), zw = +r.getAttribute('fw'), zy = +r.getAttribute('y');\n"
	"  frames.forEach(function (f) {\n"
	"    var fr = f.querySelector('rect'), x = +fr.getAttribute('fx'), w = +fr.getAttribute('fw');\n"
	"    var inside = x + w > zx + 1e-6 && x < zx + zw - 1e-6;\n"
	"    var below = +fr.getAttribute('y') > zy;\n"
	"    if (!inside) { f.style.display = 'none'; return; }\n"
	"    f.style.display = '';\n"
	"    f.style.opacity = below ? 0.5 : 1;\n"
	"    var nx = (Math.max(x, zx) - zx) * W / zw, nw = (Math.min(x + w, zx + zw) - Math.max(x, zx)) * W / zw;\n"
	"    fit(f, nx, nw);\n"
	"  });\n"
	"  document.getElementById('reset').style.display = '';\n"
	"}\n"
	"function reset() {\n"
	"  frames.forEach(function (f) {\n"
	"    var fr = f.querySelector('rect');\n"
	"    f.style.display = ''; f.style.opacity = 1;\n"
	"    fit(f, +fr.getAttribute('fx'), +fr.getAttribute('fw'));\n"
	"  });\n"
	"  document.getElementById('reset').style.display = 'none';\n"
	"}\n"
	"function search(term) {\n"
	"  if (term === undefined) term = prompt('Search (regular expression):', '');\n"
	"  if (term === null) return;\n"
	"  var re, total = %llu, hit = 0, spans = [];\n"
	"  try { re = new RegExp(term); } catch (e) { info.textContent = 'bad expression'; return; }\n"
	"  frames.forEach(function (f) {\n"
	"    var fr = f.querySelector('rect'), title = f.querySelector('title').textContent;\n"
	"    var name = title.replace(/ \\(\\d+ samples.*$/, '');\n"
	"    var m = term !== '' && re.test(name);\n"
	"    fr.style.fill = m ? 'rgb(230,0,230)' : '';\n"
	"    if (!m) return;\n"
	"    var x = +fr.getAttribute('fx'), w = +fr.getAttribute('fw');\n"
	"    /* count each matched span once: skip those inside one already counted */\n"
	"    if (spans.some(function (s) { return x >= s[0] - 1e-6 && x + w <= s[1] + 1e-6; })) return;\n"
	"    spans.push([x, x + w]);\n"
	"    hit += +title.match(/\\((\\d+) samples/)[1];\n"
	"  });\n"
	"  info.textContent = term === '' ? '' : 'Matched: ' + (100 * hit / total).toFixed(2) + '%%';\n"
	"}\n"
	"svg.addEventListener('click', function (e) {\n"
	"  var g = e.target.closest ? e.target.closest('g.f') : null;\n"
	"  if (g) zoom(g);\n"
	"});\n"
	"svg.addEventListener('mouseover', function (e) {\n"
	"  var g = e.target.closest ? e.target.closest('g.f') : null;\n"
	"  if (g) info.textContent = g.querySelector('title').textContent;\n"
	"});\n"
	"document.getElementById('search').addEventListener('click', function (e) { e.stopPropagation(); search(); });\n"
	"/* #zoom=NAME and #search=REGEX in the URL: shareable views */\n"
	"var h = location.hash.match(/^#(zoom|search)=(.*)$/);\n"
	"if (h && h[1] === 'zoom') frames.some(function (f) {\n"
	"  var t = f.querySelector('title').textContent.replace(/ \\(\\d+ samples.*$/, '');\n"
	"  if (t !== decodeURIComponent(h[2])) return false;\n"
	"  zoom(f); return true;\n"
	"});\n"
	"if (h && h[1] === 'search') search(decodeURIComponent(h[2]));\n"
	"document.getElementById('reset').addEventListener('click', function (e) { e.stopPropagation(); reset(); });\n"
	"/* for tests in a headless browser: the script ran to its end */\n"
	"svg.setAttribute('data-frames', frames.length);\n"
	"]]></script>\n";

/* The largest change of any frame, the deepest colour of a diff. */
static __u64 max_delta(const struct node *n)
{
	__u64 m = n->delta < 0 ? -n->delta : n->delta, x;
	const struct node *c;

	for (c = n->child; c; c = c->next) {
		x = max_delta(c);
		if (x > m)
			m = x;
	}
	return m;
}

int flamegraph_svg(FILE *f, const struct prof_data *d)
{
	struct node *root = calloc(1, sizeof(*root)), *n;
	__u64 maxd = 0;
	int height, i;
	size_t s;

	if (!root)
		return -ENOMEM;
	root->name = "all";
	for (s = 0; s < d->n; s++) {
		const struct prof_stack *ps = &d->stacks[s];

		root->value += ps->count;
		root->delta += ps->delta;
		n = node_child(root, ps->comm ?: "?", false);
		for (i = 0; n && i < ps->n; i++) {
			n->value += ps->count;
			n->delta += ps->delta;
			n = node_child(n, ps->frames[i].name,
				       ps->frames[i].kernel);
		}
		if (!n) {
			node_free(root);
			return -ENOMEM;
		}
		n->value += ps->count;
		n->delta += ps->delta;
	}
	/* the scale of a diff: its largest change below "all" (none: 1) */
	for (n = d->diff ? root->child : NULL; n; n = n->next)
		if (max_delta(n) > maxd)
			maxd = max_delta(n);
	if (d->diff && !maxd)
		maxd = 1;
	height = depth_of(root) * FG_ROW + FG_PAD + 8;
	fprintf(f,
		"<?xml version=\"1.0\" standalone=\"no\"?>\n"
		"<svg version=\"1.1\" width=\"%d\" height=\"%d\" "
		"viewBox=\"0 0 %d %d\" xmlns=\"http://www.w3.org/2000/svg\">\n",
		FG_WIDTH, height, FG_WIDTH, height);
	fprintf(f,
		"<style>text { font-family: monospace; font-size: 12px; "
		"fill: #000; pointer-events: none; } "
		"g.f:hover rect { stroke: #000; stroke-width: 0.5; cursor: pointer; } "
		".ui { font-family: sans-serif; font-size: 12px; cursor: pointer; }"
		"</style>\n");
	fprintf(f,
		"<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" fill=\"#f8f8f0\"/>\n",
		FG_WIDTH, height);
	fprintf(f,
		"<text x=\"%d\" y=\"16\" text-anchor=\"middle\" "
		"style=\"font-size:15px\">",
		FG_WIDTH / 2);
	xml_escape(f, d->title ?: "profile", 200);
	if (d->diff)
		fprintf(f,
			": %llu samples; red: more than before, blue: fewer</text>\n",
			(unsigned long long)d->total);
	else
		fprintf(f, ": %llu samples at %u Hz, %llu dropped</text>\n",
			(unsigned long long)d->total, d->freq,
			(unsigned long long)d->drops);
	fprintf(f,
		"<text id=\"search\" class=\"ui\" x=\"%d\" y=\"16\" "
		"style=\"pointer-events:all\">Search</text>\n",
		FG_WIDTH - 60);
	fprintf(f,
		"<text id=\"reset\" class=\"ui\" x=\"10\" y=\"16\" "
		"style=\"pointer-events:all;display:none\">Reset zoom</text>\n");
	fprintf(f, "<text id=\"info\" x=\"10\" y=\"34\"> </text>\n");
	emit(f, root, root->value, maxd, 0, 0, height);
	fprintf(f, fg_script, FG_WIDTH, (unsigned long long)root->value);
	fprintf(f, "</svg>\n");
	node_free(root);
	return ferror(f) ? -EIO : 0;
}
