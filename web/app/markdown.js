// markdown.js - a small, safe Markdown renderer for project guidelines.
// The text is never parsed as HTML: it is split into blocks and inline
// runs, and every piece of user text becomes a text node. Supported:
// headings (#), paragraphs, lists (-, *, +, 1.), **strong**, *em* / _em_,
// `code`, fenced code blocks, and [links](http(s)://...) only.

export function renderMarkdown(src) {
  const out = document.createDocumentFragment();
  const lines = String(src ?? '').replace(/\r\n?/g, '\n').split('\n');
  let i = 0;
  let para = [];
  const flush = () => {
    if (para.length) out.append(el('p', inline(para.join(' '))));
    para = [];
  };
  while (i < lines.length) {
    const line = lines[i];
    let m;
    if (/^\s*```/.test(line)) {
      flush();
      const body = [];
      i++;
      while (i < lines.length && !/^\s*```/.test(lines[i])) body.push(lines[i++]);
      i++;
      const code = el('code');
      code.textContent = body.join('\n');
      out.append(el('pre', [code]));
      continue;
    }
    if ((m = line.match(/^(#{1,6})\s+(.*?)\s*#*\s*$/))) {
      flush();
      // Page headings are h1/h2: guideline headings start at h2.
      out.append(el(`h${Math.min(6, m[1].length + 1)}`, inline(m[2])));
      i++;
      continue;
    }
    if ((m = line.match(/^\s*([-*+]|\d{1,9}[.)])\s+(.*)$/))) {
      flush();
      const ordered = /\d/.test(m[1]);
      const list = el(ordered ? 'ol' : 'ul');
      while (i < lines.length && (m = lines[i].match(/^\s*([-*+]|\d{1,9}[.)])\s+(.*)$/)) && /\d/.test(m[1]) === ordered) {
        let text = m[2];
        i++;
        // Continuation lines (indented, not a new item) join the item.
        while (i < lines.length && /^\s{2,}\S/.test(lines[i]) && !/^\s*([-*+]|\d{1,9}[.)])\s+/.test(lines[i])) text += ` ${lines[i++].trim()}`;
        list.append(el('li', inline(text)));
      }
      out.append(list);
      continue;
    }
    if (/^\s*$/.test(line)) { flush(); i++; continue; }
    if (/^\s*(---+|\*\*\*+)\s*$/.test(line)) { flush(); out.append(el('hr')); i++; continue; }
    para.push(line.trim());
    i++;
  }
  flush();
  return out;
}

function el(tag, children = []) {
  const e = document.createElement(tag);
  for (const c of children) e.append(c);
  return e;
}

const safeUrl = (u) => /^https?:\/\/[^\s]+$/i.test(u);

// Inline runs -> array of Nodes (text nodes and elements holding text nodes).
function inline(text) {
  const nodes = [];
  let buf = '';
  const push = (n) => {
    if (buf) { nodes.push(document.createTextNode(buf)); buf = ''; }
    nodes.push(n);
  };
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    const rest = text.slice(i);
    let m;
    if (c === '\\' && i + 1 < text.length && /[\\`*_[\]()#+\-.!]/.test(text[i + 1])) {
      buf += text[i + 1];
      i += 2;
      continue;
    }
    if (c === '`' && (m = rest.match(/^`([^`]+)`/))) {
      const code = document.createElement('code');
      code.textContent = m[1];
      push(code);
      i += m[0].length;
      continue;
    }
    if (c === '[' && (m = rest.match(/^\[([^\]]+)\]\(([^)\s]+)\)/))) {
      if (safeUrl(m[2])) {
        const a = document.createElement('a');
        a.href = m[2];
        a.rel = 'noopener noreferrer';
        a.target = '_blank';
        a.append(...inline(m[1]));
        push(a);
      } else {
        buf += m[1]; // not a web link: keep the words, drop the target
      }
      i += m[0].length;
      continue;
    }
    if ((m = rest.match(/^(\*\*|__)(?=\S)([\s\S]*?\S)\1/))) {
      push(el('strong', inline(m[2])));
      i += m[0].length;
      continue;
    }
    if ((c === '*' || c === '_') && (m = rest.match(/^([*_])(?=\S)([^*_]*?\S)\1(?![*_\w])/))) {
      push(el('em', inline(m[2])));
      i += m[0].length;
      continue;
    }
    buf += c;
    i++;
  }
  if (buf) nodes.push(document.createTextNode(buf));
  return nodes;
}
