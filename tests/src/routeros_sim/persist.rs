//! The state file: the router's configuration as JSON, so a test can restart the simulator and
//! find what it left. Sessions, dynamic items and the log are not kept (a restart is a reboot).
//!
//! Values are bytes; they are written with [`display_bytes`] (valid UTF-8 as is, other bytes as
//! `\xNN`) and read back with [`parse_display`], so a cp1252 comment survives byte for byte.
//! Writes go to a temporary file that is then renamed over the old one.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{bail, Context};
use protocol::routeros::text::{display_bytes, parse_display};
use serde::{Deserialize, Serialize};

use super::schema;
use super::state::{format_id, Item, Router};

const FORMAT: u32 = 1;

#[derive(Serialize, Deserialize)]
struct StateFile {
    format: u32,
    identity: String,
    menus: BTreeMap<String, TableFile>,
}

#[derive(Serialize, Deserialize)]
struct TableFile {
    next_id: String,
    items: Vec<BTreeMap<String, String>>,
}

pub(crate) fn snapshot(router: &Router) -> anyhow::Result<Vec<u8>> {
    let mut menus = BTreeMap::new();
    for table in router.tables().iter().filter(|t| t.spec.persistent) {
        let items = table
            .items
            .iter()
            .filter(|i| !i.dynamic)
            .map(|item| {
                let mut out: BTreeMap<String, String> = item
                    .props
                    .iter()
                    .map(|(k, v)| (k.clone(), display_bytes(v).into_owned()))
                    .collect();
                out.insert(".id".to_owned(), format_id(item.id));
                out
            })
            .collect();
        menus.insert(
            table.spec.path.to_owned(),
            TableFile {
                next_id: format_id(table.next_id),
                items,
            },
        );
    }
    let file = StateFile {
        format: FORMAT,
        identity: display_bytes(&router.identity).into_owned(),
        menus,
    };
    Ok(serde_json::to_vec_pretty(&file)?)
}

/// Loads `path` into `router`. A file that does not parse, or names an unknown menu, property
/// or id, is an error: the simulator refuses to start rather than run on half a state.
pub(crate) fn load(router: &mut Router, path: &Path) -> anyhow::Result<()> {
    let bytes =
        std::fs::read(path).with_context(|| format!("reading state file {}", path.display()))?;
    let file: StateFile = serde_json::from_slice(&bytes)
        .with_context(|| format!("state file {} is not valid", path.display()))?;
    if file.format != FORMAT {
        bail!(
            "state file {} has format {}, expected {FORMAT}",
            path.display(),
            file.format
        );
    }
    router.identity = bytes_of(&file.identity, "identity")?;
    for (menu, table) in file.menus {
        let spec = schema::menu(&menu)
            .filter(|s| s.persistent && schema::TABLES.iter().any(|t| t.path == s.path))
            .with_context(|| format!("state file {}: unknown menu {menu}", path.display()))?;
        let next_id = parse_id(&table.next_id)
            .with_context(|| format!("state file: {menu}: bad next_id {:?}", table.next_id))?;
        let mut items = Vec::new();
        for mut props in table.items {
            let id_text = props
                .remove(".id")
                .with_context(|| format!("state file: {menu}: an item has no .id"))?;
            let id = parse_id(&id_text)
                .with_context(|| format!("state file: {menu}: bad .id {id_text:?}"))?;
            let mut item = Item {
                id,
                props: BTreeMap::new(),
                dynamic: false,
                since: None,
                companions: Vec::new(),
            };
            for (k, v) in props {
                if spec.prop(&k).is_none() {
                    bail!("state file: {menu} {id_text}: unknown property {k}");
                }
                item.props.insert(k, bytes_of(&v, &menu)?);
            }
            items.push(item);
        }
        items.sort_by_key(|i| i.id);
        router.restore_table(spec.path, next_id, items);
    }
    Ok(())
}

/// Writes the snapshot next to `path` and renames it into place.
pub(crate) fn save(snapshot: &[u8], path: &Path) -> anyhow::Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    std::fs::write(&tmp, snapshot).with_context(|| format!("writing {tmp:?}"))?;
    std::fs::rename(&tmp, path).with_context(|| format!("renaming {tmp:?} to {}", path.display()))
}

fn parse_id(text: &str) -> Option<u64> {
    u64::from_str_radix(text.strip_prefix('*')?, 16).ok()
}

fn bytes_of(text: &str, context: &str) -> anyhow::Result<Vec<u8>> {
    parse_display(text).with_context(|| format!("state file: {context}: bad escape in {text:?}"))
}
