//! Injected faults, set at start or at run time.

use std::time::{Duration, Instant};

use tests::routeros_sim::{start, Faults, SimConfig, FAULT_FATAL_REASON, GARBAGE};

use crate::support::{s, sim, Client};

async fn with_faults(faults: Faults) -> tests::routeros_sim::SimHandle {
    start(SimConfig {
        faults,
        ..SimConfig::default()
    })
    .await
    .unwrap()
}

#[tokio::test]
async fn latency_delays_every_answer() {
    let sim = with_faults(Faults {
        reply_latency: Duration::from_millis(150),
        ..Faults::default()
    })
    .await;
    let mut c = Client::logged_in(sim.addr()).await;
    let started = Instant::now();
    c.call(&["/system/identity/print"]).await;
    assert!(started.elapsed() >= Duration::from_millis(150));
}

#[tokio::test]
async fn drop_closes_on_the_nth_sentence_without_answering() {
    let sim = with_faults(Faults {
        drop_after_sentences: Some(2),
        ..Faults::default()
    })
    .await;
    let mut c = Client::logged_in(sim.addr()).await;
    c.send(&["/ppp/secret/add", "=name=lost"]).await;
    c.expect_closed().await;
    assert!(
        sim.rows("/ppp/secret").is_empty(),
        "the dropped command did not run"
    );
}

#[tokio::test]
async fn fatal_after_n_sentences() {
    let sim = with_faults(Faults {
        fatal_after_sentences: Some(2),
        ..Faults::default()
    })
    .await;
    let mut c = Client::logged_in(sim.addr()).await;
    assert_eq!(
        c.call(&["/system/identity/print", ".tag=3"]).await,
        vec![s(&["!fatal", FAULT_FATAL_REASON])]
    );
    c.expect_closed().await;
}

#[tokio::test]
async fn hang_stops_answers_but_keeps_the_socket_and_still_executes() {
    let sim = with_faults(Faults {
        hang_after_reply_sentences: Some(1),
        ..Faults::default()
    })
    .await;
    let mut c = Client::logged_in(sim.addr()).await;
    c.send(&["/ppp/secret/add", "=name=ghost"]).await;
    c.expect_silence(Duration::from_millis(300)).await;
    assert_eq!(sim.rows("/ppp/secret").len(), 1);
}

#[tokio::test]
async fn trickle_delivers_whole_sentences_slowly() {
    let sim = with_faults(Faults {
        trickle: Some((3, Duration::from_millis(5))),
        ..Faults::default()
    })
    .await;
    let started = Instant::now();
    let mut c = Client::logged_in(sim.addr()).await;
    assert_eq!(
        c.call(&["/system/identity/print"]).await,
        vec![s(&["!re", "=name=MikroTik"]), s(&["!done"])]
    );
    // 27 reply bytes in 3-byte chunks: at least 8 pauses after the 6-byte login answer's one.
    assert!(started.elapsed() >= Duration::from_millis(40));
}

#[tokio::test]
async fn garbage_replaces_one_answer_then_clears() {
    let sim = sim("7.18.2").await;
    let mut c = Client::logged_in(sim.addr()).await;
    sim.set_faults(Faults {
        garbage_reply: true,
        ..Faults::default()
    });
    c.send(&["/ppp/secret/add", "=name=garbled"]).await;
    assert_eq!(c.read_raw(GARBAGE.len()).await, GARBAGE);
    // The command itself ran; the next connection is answered normally.
    assert_eq!(sim.rows("/ppp/secret").len(), 1);
    let mut d = Client::logged_in(sim.addr()).await;
    assert_eq!(d.call(&["/system/identity/print"]).await.len(), 2);
}

#[tokio::test]
async fn faults_change_at_run_time_on_open_connections() {
    let sim = sim("7.18.2").await;
    let mut c = Client::logged_in(sim.addr()).await;
    assert_eq!(c.call(&["/system/identity/print"]).await.len(), 2);
    sim.set_faults(Faults {
        drop_after_sentences: Some(3),
        ..Faults::default()
    });
    c.send(&["/system/identity/print"]).await;
    c.expect_closed().await;
    sim.set_faults(Faults::default());
    let mut d = Client::logged_in(sim.addr()).await;
    assert_eq!(d.call(&["/system/identity/print"]).await.len(), 2);
}
