//! The sync engine. Settings live here; sources, planning and applying land with the
//! sync engine issue.

pub mod settings;
