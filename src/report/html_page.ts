// SPDX-License-Identifier: GPL-2.0-only
/**
 * The page of `damo report html`: a static skeleton, the computed data as one JSON script
 * element, and the page's own script and style (src/report/html/page.js and page.css,
 * inlined at build time into html/gen/page_assets.ts by scripts/gen-page-assets.mjs).
 */
import { PAGE_CSS, PAGE_JS } from './html/gen/page_assets.js';
import type { PageData } from './html_data.js';

function escapeHtml(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
}

/** JSON that cannot end the script element it sits in. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

export function renderHtmlPage(data: PageData): string {
  const file = data.input.split('/').pop() ?? data.input;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="damo-ts report html">
<title>DAMON recording: ${escapeHtml(file)}</title>
<style>
${PAGE_CSS}
</style>
</head>
<body>
<header><h1>DAMON recording: <span class="file">${escapeHtml(file)}</span></h1></header>
<main id="report"><noscript>This page draws its heatmaps and charts with JavaScript.</noscript></main>
<script type="application/json" id="damo-data">${scriptJson(data)}</script>
<script>
${PAGE_JS}
</script>
</body>
</html>
`;
}
