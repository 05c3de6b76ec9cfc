'use strict';
// Start the AR24 mock from Node.js tests: `const { start } = require('ar24-mock')`.
// Settings are the mock's flags (`ar24-mock --help`) in camelCase or as written:
// start({ auth: 'plain', notifyDelay: 60 }). The binary is the one this package
// installed, or AR24_MOCK_BIN.

const { spawn } = require('node:child_process');
const path = require('node:path');
const readline = require('node:readline');

function binary() {
  return process.env.AR24_MOCK_BIN || path.join(__dirname, 'bin', 'ar24-mock');
}

function flags(settings) {
  const out = [];
  for (const [name, value] of Object.entries(settings)) {
    const flag = '--' + name.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase()).replace(/_/g, '-');
    if (value === true) out.push(flag);
    else if (value !== false && value !== null && value !== undefined) out.push(flag, String(value));
  }
  return out;
}

function control(url, controlToken) {
  return async (method, route, { body, query } = {}) => {
    const search = query ? '?' + new URLSearchParams(Object.entries(query).filter(([, v]) => v)) : '';
    const headers = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (controlToken) headers.authorization = 'Bearer ' + controlToken;
    const response = await fetch(url + '_mock/' + route + search, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} /_mock/${route}: HTTP ${response.status} ${text}`);
    return text ? JSON.parse(text) : null;
  };
}

function partner(call, url, token, privateKey) {
  return {
    url,
    baseUrl: url + 'api/',
    token,
    privateKey,
    /** This partner's emails, oldest first, filtered by recipient and kind. */
    async emails({ to, kind } = {}) {
      const all = await call('GET', 'emails', { query: { to, kind } });
      return all.filter((email) => email.partner === token);
    },
    /** What a person does with an email's button: follows its link. */
    async click(link) {
      const response = await fetch(link, { method: 'POST', headers: { accept: 'application/json' } });
      return response.json();
    },
    /** Forgets what this partner made (with a seed: back to its part of it). */
    async reset() {
      await call('POST', 'partners/' + encodeURIComponent(token) + '/reset');
    },
  };
}

/** Starts a mock on a free port, waits until it is healthy, and resolves to its handle. */
async function start(settings = {}) {
  const all = { port: 0, quiet: true, ...settings };
  const child = spawn(binary(), flags(all), { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  // The last warnings only: the pipe is always read, never kept whole.
  child.stderr.on('data', (chunk) => { stderr = (stderr + chunk).slice(-65536); });
  const banner = await new Promise((resolve, reject) => {
    const seen = {};
    const lines = readline.createInterface({ input: child.stdout });
    lines.on('line', (line) => {
      const at = line.indexOf(' : ');
      if (at > 0) seen[line.slice(0, at).trim()] = line.slice(at + 3).trim();
      if (seen.mailbox) {
        // Keep draining stdout so the mock never blocks on a full pipe.
        child.stdout.resume();
        resolve(seen);
      }
    });
    child.on('error', reject);
    child.on('exit', (code) => reject(new Error(`ar24-mock did not start (exit ${code}): ${stderr.trim()}`)));
  });
  const url = banner['API base URL'].slice(0, -'api/'.length);
  const call = control(url, all.controlToken || all['control-token'] || all.control_token);
  for (let tries = 0; ; tries += 1) {
    try {
      await call('GET', 'health');
      break;
    } catch (error) {
      if (tries > 200) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  const exited = new Promise((resolve) => child.once('exit', resolve));
  return {
    ...partner(call, url, banner.token, banner['private key']),
    /** Every email in the outbox, oldest first, filtered by recipient and kind. */
    emails: ({ to, kind } = {}) => call('GET', 'emails', { query: { to, kind } }),
    /** Forgets every user, email and letter (with a seed: back to it); partners stay. */
    reset: async () => { await call('POST', 'reset'); },
    /** A partner of its own (token and key generated), for tests that run beside others. */
    async newPartner(partnerSettings = {}) {
      const made = await call('POST', 'partners', { body: partnerSettings });
      return partner(call, url, made.token, made.private_key);
    },
    /** Stops the mock and waits for it. */
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

module.exports = { start, binary };
