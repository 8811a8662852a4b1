/// The Caddy snippet deploy writes to `/srv/mai/caddy/agent.caddy`: the public site's upstream
/// (a snippet `mai_agent` the host's Caddyfile imports in its site block) and the admin API's
/// stable address 127.0.0.1:8081, both pointing at the serving slot.
///
/// The public upstream uses no keep-alive: a pooled connection the agent closes (idle timeout, or
/// the old container stopping) at the moment Caddy reuses it would be a 502; a fresh loopback
/// connection per request costs microseconds.
public enum ProxyConfig {
    public static func snippet(serving slot: Slot) -> String {
        """
        # Written by maictl deploy. The serving container is in slot \(slot.rawValue).
        (mai_agent) {
        \treverse_proxy 127.0.0.1:\(slot.publicPort) {
        \t\tflush_interval -1
        \t\tlb_try_duration 10s
        \t\tlb_try_interval 100ms
        \t\ttransport http {
        \t\t\tkeepalive off
        \t\t}
        \t}
        }
        http://127.0.0.1:\(HostLayout.adminPort) {
        \tbind 127.0.0.1
        \treverse_proxy 127.0.0.1:\(slot.adminPort) {
        \t\tflush_interval -1
        \t\tlb_try_duration 10s
        \t\tlb_try_interval 100ms
        \t}
        }

        """
    }
}
