/// The templates built into maictl: a new server's cloud-init user data and its Caddyfile. They are
/// the one description of a host — `maictl provision` sends them to Hetzner and the test fleet's
/// hosts are prepared from the same rendered text (`scripts/testfleet up --user-data`). An operator
/// may replace both with `--templates DIR` (holding `cloud-init.yaml.mustache` and
/// `Caddyfile.mustache`).
///
/// Mustache (swift-mustache): `{{{x}}}` inserts a value verbatim — the values are validated
/// fleet-file fields or texts maictl makes, never free text. Values of `cloudInit`: `slug`,
/// `domain`, `host_key_private`, `host_key_public`, `caddyfile`, `proxy_snippet`, `data_dir`,
/// `agent_uid`, `agent_port`. Values of `caddyfile`: `slug`, `site_address` (the client's domain),
/// `operator_email`. The user data must stay under Hetzner's 32 KiB and carry no secret besides
/// the server's own host key.
enum BuiltInTemplates {
    static let cloudInit = #"""
#cloud-config
# Rendered by `maictl provision` for {{{slug}}} ({{{domain}}}).
# The only secret here is this server's own SSH host key (made by maictl and pinned in its
# known_hosts under the server id before the first connection). No other secret goes into user
# data: deploys write the agent's settings over SSH.
hostname: {{{slug}}}
preserve_hostname: false
disable_root: false

# SSH host key: exactly the one maictl pinned; no other host keys are generated (cloud-init
# generates none when ssh_keys is given; the list only keeps `cloud-init schema` satisfied).
ssh_deletekeys: true
ssh_genkeytypes: [ed25519]
ssh_keys:
  ed25519_private: |
{{{host_key_private}}}
  ed25519_public: {{{host_key_public}}}

package_update: true
packages:
  - podman
  - runc
  - caddy
  - curl
  - ca-certificates
  - sqlite3
  - nftables

write_files:
  - path: /etc/caddy/Caddyfile
    owner: root:root
    permissions: "0644"
    content: |
{{{caddyfile}}}
  - path: /etc/caddy/mai-agent.caddy
    owner: root:root
    permissions: "0644"
    content: |
{{{proxy_snippet}}}
  # The metadata service hands out this user data — the host key included — for the life of the
  # server. Only root (cloud-init at boot) may reach it; the agent's container (uid 10001 on the
  # host network), Caddy and every other user get a refusal. No `flush ruleset`: only this table.
  - path: /etc/nftables.conf
    owner: root:root
    permissions: "0644"
    content: |
      #!/usr/sbin/nft -f
      table inet mai_metadata
      delete table inet mai_metadata
      table inet mai_metadata {
      	chain output {
      		type filter hook output priority 0; policy accept;
      		ip daddr 169.254.169.254 meta skuid != 0 reject
      	}
      }
  - path: /etc/containers/containers.conf.d/mai.conf
    owner: root:root
    permissions: "0644"
    content: |
      [engine]
      runtime = "runc"

runcmd:
  - [systemctl, enable, nftables]
  - [nft, -f, /etc/nftables.conf]
  # The agent's data volume; the container runs as uid {{{agent_uid}}} (Dockerfile).
  - [install, -d, -m, "0755", /srv/mai]
  - [install, -d, -m, "0700", -o, "{{{agent_uid}}}", -g, "{{{agent_uid}}}", {{{data_dir}}}]
  - [systemctl, enable, caddy]
  - [systemctl, restart, caddy]
"""#

    static let caddyfile = #"""
# Rendered by `maictl provision` for {{{slug}}}: automatic HTTPS for the client's domain, the
# agent behind it on the host's loopback. /etc/caddy/mai-agent.caddy (written by cloud-init, then
# kept by `maictl deploy`) lists both container slots and the admin API's 127.0.0.1:8081
# (DESIGN.md, "Zero-downtime switch"). Caddy's admin endpoint stays on localhost:2019: deploys
# read its upstream counters.
{
	email {{{operator_email}}}
	# The empty slot fails its active health check every interval by design.
	log default {
		exclude http.handlers.reverse_proxy.health_checker.active
	}
}

import /etc/caddy/mai-agent.caddy

{{{site_address}}} {
	encode zstd gzip
	import mai_agent
}
"""#
}
