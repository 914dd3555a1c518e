//! The state file survives restarts; a bad one stops the start.

use tests::routeros_sim::{start, SimConfig};

use crate::support::{ret, Client};

fn temp_path(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("routeros-sim-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join("state.json")
}

#[tokio::test]
async fn configuration_survives_a_restart_byte_for_byte() {
    let path = temp_path("restart");
    let _ = std::fs::remove_file(&path);
    let config = SimConfig {
        state_file: Some(path.clone()),
        ..SimConfig::default()
    };
    let sim = start(config.clone()).await.unwrap();
    let mut c = Client::logged_in(sim.addr()).await;
    let mut add = protocol::routeros::Sentence::from_words(["/ppp/secret/add", "=name=alice"]);
    add.words.push(b"=comment=caf\xe9".to_vec());
    c.send_bytes(&add.encode()).await;
    c.until_done().await;
    c.call(&["/ppp/secret/add", "=name=bob"]).await;
    c.call(&["/ppp/secret/remove", "=numbers=bob"]).await;
    c.call(&["/ppp/profile/add", "=name=10M", "=rate-limit=10M/10M"])
        .await;
    c.call(&["/system/identity/set", "=name=pop-1"]).await;
    sim.ppp_connect("alice", "", "10.0.0.2".parse().unwrap(), "x")
        .unwrap();
    drop(c);
    sim.shutdown().await;

    let sim = start(config).await.unwrap();
    let mut c = Client::logged_in(sim.addr()).await;
    c.send(&["/ppp/secret/print", "=.proplist=.id,name,comment"])
        .await;
    let re = c.try_recv().await.unwrap();
    assert_eq!(
        re.words,
        vec![
            b"!re".to_vec(),
            b"=.id=*1".to_vec(),
            b"=name=alice".to_vec(),
            b"=comment=caf\xe9".to_vec()
        ]
    );
    c.until_done().await;
    // Ids continue after the removed *2.
    assert_eq!(
        ret(&c.call(&["/ppp/secret/add", "=name=carol"]).await),
        "*3"
    );
    assert_eq!(sim.rows("/system/identity")[0]["name"], "pop-1");
    assert_eq!(sim.rows("/ppp/profile")[1]["name"], "10M");
    // A restart is a reboot: sessions and their interfaces are gone.
    assert!(sim.rows("/ppp/active").is_empty());
    assert_eq!(sim.rows("/interface").len(), 1);
    sim.shutdown().await;
    let _ = std::fs::remove_dir_all(path.parent().unwrap());
}

#[tokio::test]
async fn a_bad_state_file_is_a_clear_error() {
    let path = temp_path("bad");
    std::fs::write(&path, b"{ not json").unwrap();
    let err = start(SimConfig {
        state_file: Some(path.clone()),
        ..SimConfig::default()
    })
    .await
    .err()
    .expect("start must fail");
    assert!(format!("{err:#}").contains("is not valid"), "{err:#}");

    std::fs::write(
        &path,
        br#"{"format":1,"identity":"x","menus":{"/ppp/secret":{"next_id":"*2","items":[{".id":"*1","name":"a","colour":"red"}]}}}"#,
    )
    .unwrap();
    let dir = path.parent().unwrap().to_owned();
    let err = start(SimConfig {
        state_file: Some(path),
        ..SimConfig::default()
    })
    .await
    .err()
    .expect("start must fail");
    assert!(
        format!("{err:#}").contains("unknown property colour"),
        "{err:#}"
    );
    let _ = std::fs::remove_dir_all(dir);
}
