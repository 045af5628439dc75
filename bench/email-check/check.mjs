// Reads an email's HTML on stdin and prints caniemail's verdict for each client as JSON:
// {"client": {"errors": [...], "notes": [...]}, ...}. Run by bench/email_check.py.
import { doIUseEmail } from '@jsx-email/doiuse-email';

const CLIENTS = [
  'apple-mail.macos', 'apple-mail.ios', 'gmail.desktop-webmail', 'gmail.ios', 'gmail.android',
  'outlook.windows', 'outlook.windows-mail', 'outlook.macos', 'outlook.ios', 'outlook.android',
  'yahoo.desktop-webmail', 'samsung-email.android', 'thunderbird.macos', 'protonmail.desktop-webmail',
  'fastmail.desktop-webmail',
];
const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const html = Buffer.concat(chunks).toString('utf8');
const out = {};
for (const client of CLIENTS) {
  try {
    const result = doIUseEmail(html, { emailClients: [client] });
    out[client] = { errors: result.errors || [], notes: result.notes || [] };
  } catch (error) {  // caniemail has no data on some feature for this client: the checker stops there
    out[client] = { failed: String(error.message) };
  }
}
process.stdout.write(JSON.stringify(out, null, 1) + '\n');
