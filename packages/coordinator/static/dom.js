// @ts-check
// Rendering helpers: build with createElement, fill with textContent, update in place by key.
// Every value from the API reaches the page through textContent or an attribute, never through
// HTML parsing, so a module called `<img onerror=…>` is shown as that text.

/**
 * The element with this id, of this type; the page's own markup has it, so a miss is a bug.
 * @template {HTMLElement} T
 * @param {string} id
 * @param {{ new (): T }} type
 * @returns {T}
 */
export function byId(id, type) {
  const node = document.getElementById(id);
  if (!(node instanceof type)) throw new Error(`#${id} is missing or not a ${type.name}`);
  return node;
}

/**
 * The `index`th child element of `node`, which this page's own code built.
 * @param {Element} node
 * @param {number} index
 * @returns {HTMLElement}
 */
export function child(node, index) {
  const found = node.children[index];
  if (!(found instanceof HTMLElement)) throw new Error(`child ${index} of .${node.className} is missing`);
  return found;
}

/**
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {string} [className]
 * @param {string} [text]
 * @returns {HTMLElementTagNameMap[K]}
 */
export function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/**
 * @param {Node} node
 * @param {unknown} text
 */
export function setText(node, text) {
  const value = String(text);
  if (node.textContent !== value) node.textContent = value;
}

/**
 * @param {Element} node
 * @param {string} name
 * @param {string | number | null | undefined} value
 */
export function setAttr(node, name, value) {
  if (value === undefined || value === null || value === '') {
    if (node.hasAttribute(name)) node.removeAttribute(name);
  } else if (node.getAttribute(name) !== String(value)) {
    node.setAttribute(name, String(value));
  }
}

/**
 * @param {Element} node
 * @param {string} className
 */
export function setClass(node, className) {
  if (node.className !== className) node.className = className;
}

/**
 * Makes `parent`'s children match `items` in order, reusing the element of each key so that
 * progress bars animate and a tooltip being read is not torn down every second.
 * @template T
 * @param {HTMLElement} parent
 * @param {T[]} items
 * @param {(item: T) => string | number} keyOf
 * @param {(item: T) => HTMLElement} create
 * @param {(node: HTMLElement, item: T) => void} update
 */
export function syncChildren(parent, items, keyOf, create, update) {
  /** @type {Map<string | undefined, HTMLElement>} */
  const existing = new Map();
  for (const node of parent.children) if (node instanceof HTMLElement) existing.set(node.dataset.key, node);
  let cursor = parent.firstElementChild;
  for (const item of items) {
    const key = String(keyOf(item));
    let node = existing.get(key);
    if (node) existing.delete(key);
    else {
      node = create(item);
      node.dataset.key = key;
    }
    update(node, item);
    if (node === cursor) cursor = cursor.nextElementSibling;
    else parent.insertBefore(node, cursor);
  }
  for (const stale of existing.values()) stale.remove();
}
