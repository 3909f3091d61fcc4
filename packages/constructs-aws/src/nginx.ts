/** What the edge proxy forwards: one public API hostname to one upstream across the tunnel. */
export interface NginxProxyConfig {
  /** Public hostname, e.g. `api.drawguess.example`. */
  readonly serverName: string;
  /** Upstream address inside the tailnet (the Pi cluster's MetalLB address). */
  readonly upstreamAddress: string;
  readonly upstreamPort: number;
  /** TLS key pair on the host (the CDN connects over HTTPS to port 443). */
  readonly certificateFile: string;
  readonly certificateKeyFile: string;
  /** Addresses allowed to set `X-Forwarded-For` (the CDN's ranges). */
  readonly trustedProxies: readonly string[];
}

/**
 * The proxy's `http`-level configuration (a file for `/etc/nginx/conf.d/`): REST and WebSocket
 * upgrade to the upstream, long read timeouts for Socket.IO, the client's address from the CDN.
 */
export function renderNginxProxy(c: NginxProxyConfig): string {
  const realIp = c.trustedProxies.map((r) => `set_real_ip_from ${r};`).join('\n');
  return `# Rendered by @hybrid/constructs-aws ProxyHost. Do not edit on the host.
map $http_upgrade $connection_upgrade {
    default upgrade;
    ''      close;
}

upstream pi_ingress {
    server ${c.upstreamAddress}:${c.upstreamPort} max_fails=3 fail_timeout=10s;
    keepalive 16;
}

${realIp}
real_ip_header X-Forwarded-For;
server_tokens off;

server {
    listen 80 default_server;
    server_name _;
    location = /healthz { access_log off; return 200 "ok\\n"; }
    location / { return 301 https://$host$request_uri; }
}

server {
    listen 443 ssl http2 default_server;
    server_name ${c.serverName};
    ssl_certificate ${c.certificateFile};
    ssl_certificate_key ${c.certificateKeyFile};
    ssl_protocols TLSv1.2 TLSv1.3;
    client_max_body_size 2m;

    location / {
        proxy_pass http://pi_ingress;
        proxy_http_version 1.1;
        proxy_set_header Host $host;
        proxy_set_header Upgrade $http_upgrade;
        proxy_set_header Connection $connection_upgrade;
        proxy_set_header X-Real-IP $remote_addr;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        proxy_set_header X-Forwarded-Proto https;
        proxy_read_timeout 3600s;
        proxy_send_timeout 3600s;
        proxy_connect_timeout 5s;
    }
}
`;
}
