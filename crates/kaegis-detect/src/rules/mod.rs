//! The built-in rules, one file each. Codes group by MITRE tactic: KD1xx
//! execution, KD2xx persistence, KD3xx privilege escalation, KD4xx
//! credential access, KD5xx defense evasion and initial access.

use crate::rule::Rule;

pub mod auth_brute_force;
pub mod pod_exec;

/// Every built-in rule, in code order.
pub fn builtin() -> Vec<Box<dyn Rule>> {
    let mut rules: Vec<Box<dyn Rule>> = vec![
        Box::new(pod_exec::PodExec),
        Box::new(auth_brute_force::AuthBruteForce),
    ];
    rules.sort_by_key(|r| r.meta().code);
    rules
}

/// The built-in rule with this slug or code (any case), if any.
pub fn find(name: &str) -> Option<Box<dyn Rule>> {
    builtin()
        .into_iter()
        .find(|r| r.meta().slug == name || r.meta().code.eq_ignore_ascii_case(name))
}
