// A textarea with a line-number gutter that can mark the line an error points at.
import { h } from './dom.js';

export class Editor {
  constructor(container) {
    this.textarea = container.querySelector('textarea');
    this.gutter = h('div', { class: 'gutter', 'aria-hidden': 'true' });
    container.prepend(this.gutter);
    this.errorLine = null;
    this.textarea.addEventListener('input', () => { this.errorLine = null; this.render(); });
    this.textarea.addEventListener('scroll', () => { this.gutter.scrollTop = this.textarea.scrollTop; });
    this.render();
  }

  get value() { return this.textarea.value; }

  set value(text) {
    this.textarea.value = text;
    this.errorLine = null;
    this.render();
  }

  /** Marks line n (1-based) in the gutter and puts the caret there. */
  markError(line, column) {
    const lines = this.textarea.value.split('\n');
    if (!(line >= 1 && line <= lines.length)) return;
    this.errorLine = line;
    this.render();
    const start = lines.slice(0, line - 1).reduce((sum, l) => sum + l.length + 1, 0);
    const caret = start + Math.max(0, Math.min((column ?? 1) - 1, lines[line - 1].length));
    this.textarea.focus({ preventScroll: true });
    this.textarea.setSelectionRange(caret, caret);
    const lineHeight = parseFloat(getComputedStyle(this.textarea).lineHeight) || 18;
    this.textarea.scrollTop = Math.max(0, (line - 3) * lineHeight);
  }

  clearError() {
    this.errorLine = null;
    this.render();
  }

  render() {
    const count = this.textarea.value.split('\n').length;
    const numbers = [];
    for (let n = 1; n <= count; n++)
      numbers.push(h('div', { class: n === this.errorLine ? 'error-line' : null, dataset: { line: n } }, n));
    this.gutter.replaceChildren(...numbers);
    this.gutter.scrollTop = this.textarea.scrollTop;
  }
}

/** Line and column of an error: the API's fields, else "line N" / "N:M:" in a tool's message (promtool). */
export function errorPosition(data) {
  if (data && typeof data === 'object' && data.line > 0) return { line: data.line, column: data.column };
  const message = typeof data === 'string' ? data : data?.error ?? '';
  const colon = /(?:^|\s)(\d+):(\d+):/.exec(message);
  if (colon) return { line: +colon[1], column: +colon[2] };
  const word = /\bline (\d+)/i.exec(message);
  return word ? { line: +word[1] } : null;
}

/** "Line 8, column 1: " in bold, before an error's message. */
export function positionLabel(at) {
  return h('strong', { class: 'error-at' }, `Line ${at.line}${at.column ? `, column ${at.column}` : ''}: `);
}
