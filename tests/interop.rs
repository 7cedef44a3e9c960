//! Futures this project did not write run on this executor.
//!
//! An executor and a future meet at one point only: the `Waker`. If ours keeps
//! the contract (every `wake`, from any thread, is followed by a poll), then
//! channels, locks, timers and sockets from other crates work on it unchanged:
//!
//! * `async-channel` and `async-lock`, between tasks and between a task and a
//!   plain OS thread (the OS thread's wake comes through the waker queue's
//!   channel);
//! * `async-io`: its `Timer` and `Async<TcpStream>` / `Async<TcpListener>` on
//!   127.0.0.1; its reactor runs on its own thread (`async-io`) and wakes our
//!   tasks from there;
//! * `futures-lite`'s combinators (`zip`, `or`, `race`) and streams.
//!
//! Book chapter: *How a reactor wakes our tasks* (`book/src/reactor.md`).
//!
//! Every test is wrapped in a generous timeout (on our own timer), so a lost
//! wake fails the test instead of hanging it.

use std::future::Future;
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::time::Duration;

use async_io::{Async, Timer};
use busy_chef::time::{sleep, timeout, Instant};
use busy_chef::{block_on, spawn, yield_now, Executor};
use futures_lite::io::{AsyncReadExt, AsyncWriteExt};
use futures_lite::{future, stream, StreamExt};

/// Runs `test` on a real-clock executor, failing if it takes more than 20 s.
fn run<T>(test: impl Future<Output = T>) -> T {
    block_on(async {
        timeout(Duration::from_secs(20), test)
            .await
            .expect("the test did not finish in 20 s: a wake was lost?")
    })
}

/// Runs `test` on a simulated-clock executor, failing if it takes more than an
/// hour of simulated time (a lost wake then lets the clock jump to the limit
/// instead of hanging).
fn run_simulated<T>(test: impl Future<Output = T>) -> T {
    Executor::simulated().block_on(async {
        timeout(Duration::from_secs(3600), test)
            .await
            .expect("the test did not finish in an hour of simulated time: a wake was lost?")
    })
}

// ===== async-channel =====

#[test]
fn async_channel_between_tasks() {
    let sum = run(async {
        // Capacity 1: the producer waits for the consumer on every message,
        // so the two tasks wake each other hundreds of times.
        let (tx, rx) = async_channel::bounded::<u64>(1);
        let producer = spawn(async move {
            for i in 1..=500 {
                tx.send(i).await.unwrap();
            }
        });
        let consumer = spawn(async move {
            let mut sum = 0;
            while let Ok(i) = rx.recv().await {
                sum += i;
            }
            sum
        });
        producer.await.unwrap();
        consumer.await.unwrap()
    });
    assert_eq!(sum, 500 * 501 / 2);
}

#[test]
fn async_channel_from_an_os_thread_to_a_task() {
    let (tx, rx) = async_channel::bounded::<u32>(1);
    let thread = std::thread::spawn(move || {
        for i in 0..50 {
            if i % 10 == 0 {
                // Let the executor park, so some wakes find it asleep.
                std::thread::sleep(Duration::from_millis(5));
            }
            tx.send_blocking(i).unwrap();
        }
    });
    let received = run(async move {
        let mut received = Vec::new();
        while let Ok(i) = rx.recv().await {
            received.push(i);
        }
        received
    });
    thread.join().unwrap();
    assert_eq!(received, (0..50).collect::<Vec<_>>());
}

#[test]
fn async_channel_from_a_task_to_an_os_thread() {
    let (tx, rx) = async_channel::bounded::<u32>(1);
    // The thread reads slowly: the task's `send` waits for room, and the
    // thread's `recv_blocking` wakes it.
    let thread = std::thread::spawn(move || {
        let mut received = Vec::new();
        while let Ok(i) = rx.recv_blocking() {
            if i % 10 == 0 {
                std::thread::sleep(Duration::from_millis(5));
            }
            received.push(i);
        }
        received
    });
    run(async move {
        for i in 0..50 {
            tx.send(i).await.unwrap();
        }
    });
    assert_eq!(thread.join().unwrap(), (0..50).collect::<Vec<_>>());
}

// ===== async-lock =====

#[test]
fn async_lock_mutex_between_tasks() {
    let count = run(async {
        let counter = Arc::new(async_lock::Mutex::new(0u32));
        let tasks: Vec<_> = (0..10)
            .map(|_| {
                let counter = counter.clone();
                spawn(async move {
                    for _ in 0..20 {
                        let mut guard = counter.lock().await;
                        let seen = *guard;
                        // Hold the lock across a yield: the others must wait.
                        yield_now().await;
                        *guard = seen + 1;
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
        let count = *counter.lock().await;
        count
    });
    assert_eq!(count, 200);
}

#[test]
fn async_lock_mutex_held_by_an_os_thread() {
    let lock = Arc::new(async_lock::Mutex::new(Vec::<&str>::new()));
    let (locked_tx, locked_rx) = std::sync::mpsc::channel();
    let thread_lock = lock.clone();
    let thread = std::thread::spawn(move || {
        let mut guard = thread_lock.lock_blocking();
        locked_tx.send(()).unwrap();
        std::thread::sleep(Duration::from_millis(30));
        guard.push("thread");
        // Unlocking here wakes the task waiting in `lock().await`.
    });
    locked_rx.recv().unwrap();
    run(async {
        lock.lock().await.push("task");
    });
    thread.join().unwrap();
    assert_eq!(*lock.lock_blocking(), ["thread", "task"]);
}

#[test]
fn async_lock_rwlock_and_semaphore_between_tasks() {
    let (most, value) = run(async {
        let semaphore = Arc::new(async_lock::Semaphore::new(3));
        let inside = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let most = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let table = Arc::new(async_lock::RwLock::new(0u32));
        let tasks: Vec<_> = (0..12)
            .map(|i| {
                let (semaphore, inside, most, table) = (
                    semaphore.clone(),
                    inside.clone(),
                    most.clone(),
                    table.clone(),
                );
                spawn(async move {
                    let _permit = semaphore.acquire().await;
                    let now = inside.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
                    most.fetch_max(now, std::sync::atomic::Ordering::SeqCst);
                    sleep(Duration::from_millis(2)).await;
                    if i % 3 == 0 {
                        *table.write().await += 1;
                    } else {
                        let _reader = table.read().await;
                        yield_now().await;
                    }
                    inside.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
        let value = *table.read().await;
        (most.load(std::sync::atomic::Ordering::SeqCst), value)
    });
    assert!(
        (1..=3).contains(&most),
        "{most} tasks held one of 3 permits"
    );
    assert_eq!(value, 4);
}

// ===== async-io: a reactor on another thread =====

#[test]
fn async_io_timer_wakes_our_task_from_its_reactor_thread() {
    run(async {
        let start = std::time::Instant::now();
        Timer::after(Duration::from_millis(30)).await;
        assert!(start.elapsed() >= Duration::from_millis(30), "fired early");

        // Several of its timers at once, interleaved with ours.
        let theirs = spawn(async {
            let mut ticks = Timer::interval(Duration::from_millis(5)).take(4);
            let mut n = 0;
            while ticks.next().await.is_some() {
                n += 1;
            }
            n
        });
        let ours = spawn(sleep(Duration::from_millis(12)));
        ours.await.unwrap();
        assert_eq!(theirs.await.unwrap(), 4);
    });
}

#[test]
fn async_io_tcp_echo_on_loopback() {
    let echoed = run(async {
        let listener = Async::<TcpListener>::bind(([127, 0, 0, 1], 0)).unwrap();
        let address = listener.get_ref().local_addr().unwrap();
        const CLIENTS: usize = 5;

        // The server: accept CLIENTS connections, echo each on its own task.
        let server = spawn(async move {
            let mut echoers = Vec::new();
            for _ in 0..CLIENTS {
                let (mut stream, _) = listener.accept().await.unwrap();
                echoers.push(spawn(async move {
                    let mut buf = vec![0; 1024];
                    loop {
                        let n = stream.read(&mut buf).await.unwrap();
                        if n == 0 {
                            break;
                        }
                        stream.write_all(&buf[..n]).await.unwrap();
                    }
                }));
            }
            for echoer in echoers {
                echoer.await.unwrap();
            }
        });

        // The clients: each sends 64 KiB in pieces and reads it all back.
        let clients: Vec<_> = (0..CLIENTS)
            .map(|c| {
                spawn(async move {
                    let mut stream = Async::<TcpStream>::connect(address).await.unwrap();
                    let message: Vec<u8> = (0..64 * 1024).map(|i| (i * 7 + c) as u8).collect();
                    let mut back = vec![0; message.len()];
                    let (_, read) = future::zip(
                        async {
                            let mut writer = &stream;
                            for piece in message.chunks(4096) {
                                writer.write_all(piece).await.unwrap();
                            }
                        },
                        async {
                            let mut reader = &stream;
                            reader.read_exact(&mut back).await
                        },
                    )
                    .await;
                    read.unwrap();
                    stream.close().await.unwrap();
                    back == message
                })
            })
            .collect();
        let mut echoed = Vec::new();
        for client in clients {
            echoed.push(client.await.unwrap());
        }
        server.await.unwrap();
        echoed
    });
    assert_eq!(echoed, vec![true; 5]);
}

#[test]
fn async_io_connect_to_a_closed_port_fails_cleanly() {
    // Bind and drop a listener: its port is (almost certainly) closed now.
    let address = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let result = run(async { Async::<TcpStream>::connect(address).await });
    let error = result.expect_err("connected to a closed port");
    assert_eq!(
        error.kind(),
        std::io::ErrorKind::ConnectionRefused,
        "{error}"
    );
}

// ===== futures-lite combinators and streams =====

#[test]
fn futures_lite_zip_waits_for_both_on_our_timers() {
    let (both, took) = run_simulated(async {
        let start = Instant::now();
        let both = future::zip(
            async {
                sleep(Duration::from_secs(2)).await;
                "toast"
            },
            async {
                sleep(Duration::from_secs(1)).await;
                "coffee"
            },
        )
        .await;
        (both, start.elapsed())
    });
    assert_eq!(both, ("toast", "coffee"));
    assert_eq!(took, Duration::from_secs(2)); // the longer one, not the sum
}

#[test]
fn futures_lite_or_and_race_take_the_first_to_finish() {
    run_simulated(async {
        let start = Instant::now();
        let first = future::or(
            async {
                sleep(Duration::from_secs(3)).await;
                "slow"
            },
            async {
                sleep(Duration::from_secs(1)).await;
                "fast"
            },
        )
        .await;
        assert_eq!(first, "fast");
        assert_eq!(start.elapsed(), Duration::from_secs(1));

        // `race` picks at random between two ready futures; with one never
        // ready, it must be the other.
        let start = Instant::now();
        let won = future::race(future::pending::<&str>(), async {
            sleep(Duration::from_millis(500)).await;
            "only one"
        })
        .await;
        assert_eq!(won, "only one");
        assert_eq!(start.elapsed(), Duration::from_millis(500));
    });
}

#[test]
fn futures_lite_streams() {
    run_simulated(async {
        let squares: Vec<u32> = stream::iter(1..=10)
            .filter(|n| n % 2 == 0)
            .map(|n| n * n)
            .collect()
            .await;
        assert_eq!(squares, [4, 16, 36, 64, 100]);

        // A stream whose items take time: one every second, on our clock.
        let start = Instant::now();
        let stamps: Vec<u64> = stream::unfold(0u64, |n| async move {
            if n == 3 {
                return None;
            }
            sleep(Duration::from_secs(1)).await;
            Some((Instant::now().duration_since(start).as_secs(), n + 1))
        })
        .collect()
        .await;
        assert_eq!(stamps, [1, 2, 3]);

        // Items from another task, through an async-channel (a Stream).
        let (tx, rx) = async_channel::unbounded::<u32>();
        spawn(async move {
            for i in 0..5 {
                sleep(Duration::from_millis(100)).await;
                tx.send(i).await.unwrap();
            }
        });
        let total = rx.fold(0, |sum, i| sum + i).await;
        assert_eq!(total, 10);
    });
}

#[test]
fn futures_lite_yield_now_and_poll_fn_keep_the_contract() {
    // A hand-rolled future that wakes itself three times before finishing:
    // each wake must lead to one more poll.
    let polls = run(async {
        let mut polls = 0;
        future::poll_fn(|cx| {
            polls += 1;
            if polls < 4 {
                cx.waker().wake_by_ref();
                std::task::Poll::Pending
            } else {
                std::task::Poll::Ready(())
            }
        })
        .await;
        future::yield_now().await;
        polls
    });
    assert_eq!(polls, 4);
}
