// Reports: self-contained HTML pages with inline SVG figures.
export { renderFilterReport } from './filter-report.js';
export { renderEvaluationReport } from './evaluation-report.js';
export { reliabilityDiagram } from './reliability.js';
export { page, figure, keyValueTable, escapeHtml } from './html.js';
export * as svg from './svg.js';
