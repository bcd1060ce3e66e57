//! KD502: repeated failed authentication or authorization from one source.
use crate::event::Event;
use crate::rule::{Hit, Level, Need, RuleContext, Technique, declare_rule};
use kaegis_core::Severity;

declare_rule! {
    /// ## What
    /// Alerts when one source address gets `settings.bruteForce.count`
    /// (default 10) answers of 401 Unauthorized or 403 Forbidden within
    /// `settings.bruteForce.window` (default 60 s). It alerts once per
    /// burst: the count starts again after an alert.
    ///
    /// ## Why
    /// Legitimate clients rarely fail over and over: a client that does is
    /// guessing tokens, trying stolen credentials against the API, or
    /// probing what a credential it holds may do (a discovery sweep
    /// produces a burst of 403s). Either way someone holds, or is looking
    /// for, a way in.
    ///
    /// ## How to respond
    /// Find the client behind the address; if it is not yours, block it at
    /// the network edge and rotate any credential it could have tried. If
    /// it is a misconfigured workload, fix its token or role. Keep the API
    /// server off the public internet:
    /// ```yaml
    /// # kube-apiserver flags (static pod manifest)
    /// - --anonymous-auth=false
    /// ```
    pub struct AuthBruteForce {
        code: "KD502",
        slug: "auth-brute-force",
        title: "Repeated failed authentication or authorization from one source",
        severity: Severity::High,
        tactic: "Credential Access",
        mitre: &[Technique { id: "T1110", name: "Brute Force" }],
        needs: &[Need { group: "*", resources: &["*"], verbs: &[], level: Level::Metadata }],
    }
}

impl AuthBruteForce {
    fn judge(&self, ev: &Event<'_>, cx: &mut RuleContext<'_>, out: &mut Vec<Hit>) {
        let code = ev.code();
        if code != 401 && code != 403 {
            return;
        }
        let source = ev.source_ip();
        if source.is_empty() {
            return;
        }
        let t = cx.settings.brute_force;
        let key = format!("auth-brute-force\0{source}");
        let n = cx
            .state
            .count_in_window(&key, cx.time, t.window_secs * 1_000_000);
        if n >= t.count as usize {
            cx.state.reset_window(&key);
            out.push(Hit::new(
                format!(
                    "{n} requests from {source} were refused (401/403) within {} s; the last as {}",
                    t.window_secs,
                    match &*ev.user.username {
                        "" => "an unauthenticated client".to_owned(),
                        u => format!("`{u}`"),
                    }
                ),
                source.to_owned(),
            ));
        }
    }
}
