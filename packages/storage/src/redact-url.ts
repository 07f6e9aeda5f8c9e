/**
 * Database URLs and driver messages with their secrets hidden, for logs and errors: a libSQL URL
 * may carry a password (`http://user:pass@host`) or a token (`libsql://db.turso.io?authToken=…`,
 * which @libsql/client reads), and the driver quotes the URL in its own errors.
 */
const SECRET_PARAM = /^(auth_?token|token|password|passwd|secret|jwt|api_?key)$/i;
const HIDDEN = "(hidden)";
// greedy: userinfo ends at the authority's last `@`, as URL parsers (and the driver) read it
const USERINFO = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#]*)@/i;

/** The URL with its userinfo's password (or a lone user name) and secret query values hidden. */
export function redactUrl(url: string): string {
  const withoutUser = url.replace(USERINFO, (_all, scheme: string, userinfo: string) => {
    const colon = userinfo.indexOf(":");
    return `${scheme}${colon === -1 ? HIDDEN : `${userinfo.slice(0, colon)}:${HIDDEN}`}@`;
  });
  const [beforeHash, ...hash] = withoutUser.split("#");
  const [path, ...query] = (beforeHash as string).split("?");
  if (query.length === 0) return withoutUser;
  const pairs = query
    .join("?")
    .split("&")
    .map((pair) => {
      const eq = pair.indexOf("=");
      return eq !== -1 && SECRET_PARAM.test(safeDecode(pair.slice(0, eq)))
        ? `${pair.slice(0, eq)}=${HIDDEN}`
        : pair;
    });
  return [`${path}?${pairs.join("&")}`, ...hash].join("#");
}

/**
 * `text` (a driver's message) with the URL's secrets, and `authToken`, hidden wherever quoted:
 * the URL whole, then each secret of 4 characters or more on its own, as written, decoded and
 * percent-encoded (a driver quotes it either way).
 */
export function redactSecrets(text: string, url: string, authToken?: string): string {
  let out = text.split(url).join(redactUrl(url));
  for (const secret of [...secretsOf(url), authToken ?? ""]) {
    const decoded = safeDecode(secret);
    for (const form of new Set([secret, decoded, encodeURIComponent(decoded)])) {
      if (form.length >= 4) out = out.split(form).join(HIDDEN);
    }
  }
  return out;
}

function secretsOf(url: string): string[] {
  const secrets: string[] = [];
  const userinfo = USERINFO.exec(url)?.[2];
  if (userinfo !== undefined) {
    const colon = userinfo.indexOf(":");
    secrets.push(colon === -1 ? userinfo : userinfo.slice(colon + 1));
  }
  const query = url.split("#", 1)[0]!.split("?").slice(1).join("?");
  for (const pair of query.split("&")) {
    const eq = pair.indexOf("=");
    if (eq !== -1 && SECRET_PARAM.test(safeDecode(pair.slice(0, eq)))) secrets.push(pair.slice(eq + 1));
  }
  return secrets;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, " "));
  } catch {
    return text;
  }
}
