// Runs the real `dig` (Debian's bind9-dnsutils) against a local server and parses its output.
import { execFile } from 'node:child_process';

export interface DigResult {
  status: string;
  flags: string[];
  /** `udp: N` from the OPT pseudosection, when the reply had an OPT record. */
  ednsUdp?: number;
  question: string[];
  answer: string[][];
  authority: string[][];
  additional: string[][];
  /** "TCP" or "UDP", from `;; SERVER: …(UDP)`. */
  transport?: string;
  raw: string;
}

export const DIG = '/usr/bin/dig';

/** `dig @host -p port ...args`; rejects when dig fails (no server reply, bad args). */
export function dig(port: number, args: string[], host = '127.0.0.1'): Promise<DigResult> {
  return new Promise((resolve, reject) => {
    execFile(
      DIG,
      [`@${host}`, '-p', String(port), '+time=3', '+tries=1', ...args],
      { timeout: 15000 },
      (err, stdout) => {
        if (err)
          return reject(new Error(`dig ${args.join(' ')} failed: ${err.message}\n${stdout}`));
        resolve(parseDig(stdout));
      },
    );
  });
}

export function parseDig(out: string): DigResult {
  const r: DigResult = {
    status: '',
    flags: [],
    question: [],
    answer: [],
    authority: [],
    additional: [],
    raw: out,
  };
  let section: 'question' | 'answer' | 'authority' | 'additional' | undefined;
  for (const line of out.split('\n')) {
    const st = /status: (\w+)/.exec(line);
    if (st) r.status = st[1];
    const fl = /^;; flags: ([^;]*);/.exec(line);
    if (fl) r.flags = fl[1].trim().split(/\s+/);
    const ed = /; EDNS: .*udp: (\d+)/.exec(line);
    if (ed) r.ednsUdp = Number(ed[1]);
    const sv = /^;; SERVER: .*\((\w+)\)/.exec(line);
    if (sv) r.transport = sv[1];
    const sec = /^;; (QUESTION|ANSWER|AUTHORITY|ADDITIONAL) SECTION:/.exec(line);
    if (sec) {
      section = sec[1].toLowerCase() as typeof section;
      continue;
    }
    if (line.trim() === '') {
      section = undefined;
      continue;
    }
    if (!section) continue;
    if (section === 'question') r.question.push(line.replace(/^;/, '').trim());
    else r[section].push(line.trim().split(/\s+/));
  }
  return r;
}
