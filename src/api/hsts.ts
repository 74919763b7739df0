// Strict-Transport-Security for deployments behind TLS (a reverse proxy or load balancer terminating
// HTTPS in front of `insider api`): browsers then refuse plain HTTP to this host for max-age seconds, so a
// token cannot be sent in clear by a mistyped http:// link. Off by default: the API itself speaks plain
// HTTP on 127.0.0.1, and a browser that saw the header over HTTPS would refuse a later plain deployment.

export interface HstsSettings {
  /** 0: no header. A year (31536000) is usual once HTTPS works everywhere on the host. */
  maxAgeSeconds: number;
  /** The subdomains too. */
  includeSubDomains: boolean;
}

/** The header's value, or null when off. */
export function hstsHeader(s: HstsSettings): string | null {
  if (s.maxAgeSeconds <= 0) return null;
  return `max-age=${Math.floor(s.maxAgeSeconds)}${s.includeSubDomains ? '; includeSubDomains' : ''}`;
}
