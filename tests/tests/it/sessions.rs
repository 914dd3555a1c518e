//! The api service's max-sessions.

use tests::routeros_sim::{start, SimConfig};

use crate::support::{s, Client};

#[tokio::test]
async fn connections_beyond_max_sessions_are_closed_at_once() {
    let sim = start(SimConfig {
        max_sessions: 2,
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let mut first = Client::logged_in(sim.addr()).await;
    // Connected but not logged in counts too.
    let second = Client::connect(sim.addr()).await;
    let mut third = Client::connect(sim.addr()).await;
    third.send(&["/login", "=name=admin", "=password="]).await;
    third.expect_closed().await;
    assert_eq!(sim.open_connections(), 2);
    drop(second);
    // The slot frees once the simulator sees the close.
    let mut fourth = None;
    for _ in 0..100 {
        if sim.open_connections() < 2 {
            fourth = Some(Client::logged_in(sim.addr()).await);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let mut fourth = fourth.expect("a slot frees after a client leaves");
    assert_eq!(
        fourth.call(&["/system/identity/print"]).await,
        vec![s(&["!re", "=name=MikroTik"]), s(&["!done"])]
    );
    assert_eq!(first.call(&["/system/identity/print"]).await.len(), 2);
}
