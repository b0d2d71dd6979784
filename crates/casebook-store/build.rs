//! Rebuilds the store when a migration is added or changed: `sqlx::migrate!` embeds the
//! migration directories at compile time, and cargo would not know they are inputs.

fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
