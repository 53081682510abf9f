import { plainColors, renderTable, type Colors } from '../client/output.js';
import type { ArtifactProblem, NodeReport } from './compare-node.js';
import type { VerifyReport } from './verify-fleet.js';

const short = (sha256: string | undefined) => (sha256 ? sha256.slice(0, 12) : '-');

function verdictCell(report: NodeReport, c: Colors): string {
  if (report.verdict === 'ok') return c.green('ok');
  return c.bold(c.red(report.verdict));
}

const count = (items: unknown[], c: Colors) => (items.length === 0 ? c.dim('0') : c.red(String(items.length)));

function problemLine(kind: string, p: ArtifactProblem): string {
  switch (kind) {
    case 'missing':
      return `missing   ${p.artifact} (fleet sha256 ${short(p.expected)})`;
    case 'extra':
      return `extra     ${p.artifact} (sha256 ${short(p.actual)}, not in the fleet for this node)`;
    case 'mismatch':
      return `mismatch  ${p.artifact}: holds ${short(p.actual)}, fleet has ${short(p.expected)}`;
    default:
      return p.error
        ? `corrupt   ${p.artifact}: installed ${short(p.expected)}, the file cannot be read (${p.error})`
        : `corrupt   ${p.artifact}: installed ${short(p.expected)}, the disk now hashes to ${short(p.actual)}`;
  }
}

/** A row per node, then one line per problem, then what to do about it. */
export function renderVerifyReport(report: VerifyReport, c: Colors = plainColors): string {
  if (report.nodes.length === 0) {
    return `No node is registered with ${report.coordinator}: nothing to verify.\n`;
  }
  let text = renderTable(
    ['node', 'addr', 'verdict', 'held', 'expected', 'missing', 'extra', 'mismatch', report.deep ? 'corrupt' : ''],
    report.nodes.map(node => [
      String(node.uid),
      node.addr,
      verdictCell(node, c),
      node.verdict === 'unreachable' ? '-' : String(node.held),
      node.verdict === 'unreachable' ? '-' : String(node.expected),
      count(node.missing, c),
      count(node.extra, c),
      count(node.mismatch, c),
      report.deep ? count(node.corrupt, c) : '',
    ]),
  );
  const details: string[] = [];
  for (const node of report.nodes) {
    if (node.verdict === 'unreachable') details.push(`  node ${node.uid}: unreachable: ${node.error ?? ''}`);
    for (const kind of ['missing', 'extra', 'mismatch', 'corrupt'] as const) {
      for (const problem of node[kind]) {
        const pending = problem.pending_action ? ` [action ${problem.pending_action} still running]` : '';
        details.push(`  node ${node.uid}: ${problemLine(kind, problem)}${pending}`);
      }
    }
  }
  const loadFailures = report.nodes.flatMap(node =>
    node.load_failed.map(problem => `  node ${node.uid}: ${problem.artifact}: ${problem.reason}`),
  );
  const scope = `${report.fleet_artifacts} fleet artifact${report.fleet_artifacts === 1 ? '' : 's'} on ${report.nodes.length} node${report.nodes.length === 1 ? '' : 's'}`;
  if (loadFailures.length > 0) {
    text +=
      `\n${c.yellow('Module load checks not passed')} (the bytes are as the fleet says; ` +
      '`modfleet artifacts --check` fails on these, verify does not):\n' +
      `${loadFailures.join('\n')}\n`;
  }
  if (report.clean) {
    text += `\n${c.green(`Clean: ${scope}, every node holds exactly what the fleet says${report.deep ? ', and every file re-hashes to its installed sha256' : ''}.`)}\n`;
    if (!report.deep) text += c.dim('(--deep also re-hashes every artifact on every disk)\n');
    return text;
  }
  text += `\n${c.red(`Not clean (${scope}):`)}\n${details.join('\n')}\n`;
  const { missing, mismatch, corrupt, extra, unreachable } = report.totals;
  if (missing + mismatch > 0) text += 'Run `modfleet sync` to install what is missing and replace what differs.\n';
  if (corrupt > 0)
    text +=
      'Delete a corrupt artifact on its node (`modfleet rm NAME VERSION --node N`), then `modfleet sync` installs it again.\n';
  if (extra > 0)
    text +=
      'Extra artifacts were put on a node outside the fleet (a local upload); delete them with `modfleet rm NAME VERSION --node N` or push them.\n';
  if (unreachable > 0)
    text += 'Unreachable nodes could not be asked: check that their agent runs and answers at its addr.\n';
  return text;
}
