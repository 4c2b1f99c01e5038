//! The `vocabulary!` macro: closed vocabularies with stable snake_case codes.

/// Derives for the closed vocabularies: stable codes via strum and serde alike.
macro_rules! vocabulary {
    ($(#[$meta:meta])* pub enum $name:ident { $($(#[$vmeta:meta])* $variant:ident),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord,
            Serialize, Deserialize, Display, EnumString, IntoStaticStr, EnumIter,
        )]
        #[serde(rename_all = "snake_case")]
        #[strum(serialize_all = "snake_case")]
        pub enum $name { $($(#[$vmeta])* $variant),+ }

        impl $name {
            pub fn code(self) -> &'static str {
                self.into()
            }
        }
    };
}
