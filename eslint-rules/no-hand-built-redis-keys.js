/**
 * Flags a Redis key built by hand: a template literal or a `+` that puts `:` right after a value
 * named like a prefix (`${prefix}:fleet:node-ops`, `${keys.queuePrefix}:node-1`, `prefix + ':x'`).
 * Every key comes from packages/common/src/redis-keys.ts, BullMQ's from its QueueKeys, so a
 * layout change is one edit and no two places can disagree on a key.
 */
const PREFIX_NAME = /prefix$/i;

/** The name an expression reads: `prefix`, `keys.queuePrefix`, `fleet['prefix']`. */
function nameOf(node) {
  if (node.type === 'Identifier') return node.name;
  if (node.type === 'MemberExpression' && !node.computed && node.property.type === 'Identifier')
    return node.property.name;
  if (node.type === 'MemberExpression' && node.property.type === 'Literal') return String(node.property.value);
  return undefined;
}

const isPrefix = node => PREFIX_NAME.test(nameOf(node) ?? '');
const startsWithColon = node =>
  (node.type === 'Literal' && typeof node.value === 'string' && node.value.startsWith(':')) ||
  (node.type === 'TemplateLiteral' && node.quasis[0].value.cooked.startsWith(':'));

export const noHandBuiltRedisKeys = {
  meta: {
    type: 'problem',
    docs: {
      description: 'Redis keys come from redis-keys.ts (or BullMQ QueueKeys), never from a `${prefix}:` template',
    },
    messages: {
      handBuilt:
        'Redis key built by hand from `{{name}}`: add it to packages/common/src/redis-keys.ts (BullMQ keys: QueueKeys.toKey) and use it from there',
    },
    schema: [],
  },
  create(context) {
    const report = (node, prefix) => context.report({ node, messageId: 'handBuilt', data: { name: nameOf(prefix) } });
    return {
      TemplateLiteral(node) {
        node.expressions.forEach((expression, index) => {
          if (isPrefix(expression) && node.quasis[index + 1].value.cooked.startsWith(':')) report(node, expression);
        });
      },
      BinaryExpression(node) {
        if (node.operator === '+' && isPrefix(node.left) && startsWithColon(node.right)) report(node, node.left);
      },
    };
  },
};

export default { rules: { 'no-hand-built-redis-keys': noHandBuiltRedisKeys } };
