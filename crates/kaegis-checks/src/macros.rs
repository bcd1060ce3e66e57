//! `declare_check!`: one declaration gives a check its type, its metadata and
//! its documentation, with the doc comment written once and served both to
//! rustdoc and to `kaegis explain`.

/// Declares a check type from a doc comment (`## What`, `## Why`,
/// `## How to fix`) and its metadata fields; the type must have an inherent
/// `fn evaluate(&self, obj: &Object, ctx: &Context, out: &mut Vec<Violation>)`.
/// Fields left out take [`kaegis_core::CheckMeta::BASE`]'s values
/// (`pss: None`, `scope: Scope::Object`).
macro_rules! declare_check {
    (
        $(#[doc = $doc:literal])*
        pub struct $name:ident {
            $($field:ident : $value:expr),* $(,)?
        }
    ) => {
        $(#[doc = $doc])*
        #[derive(Debug, Clone, Copy, Default)]
        pub struct $name;

        impl $name {
            /// This check's identity and documentation.
            pub const META: kaegis_core::CheckMeta = kaegis_core::CheckMeta {
                doc: concat!($($doc, "\n"),*),
                $($field: $value,)*
                ..kaegis_core::CheckMeta::BASE
            };
        }

        impl kaegis_core::Check for $name {
            fn meta(&self) -> &'static kaegis_core::CheckMeta {
                static META: kaegis_core::CheckMeta = $name::META;
                &META
            }

            fn check(
                &self,
                obj: &kaegis_core::Object,
                ctx: &kaegis_core::Context<'_>,
                out: &mut Vec<kaegis_core::Violation>,
            ) {
                self.evaluate(obj, ctx, out)
            }
        }
    };
}

pub(crate) use declare_check;
