//! Replays every saved fuzz input (crashers and seeds in fuzz/regressions/<target>/) through its
//! decoder, plus a deterministic pseudo-random sweep, so fuzz findings stay fixed without nightly.

use tend_relay::fuzzing::TARGETS;

#[test]
fn saved_fuzz_inputs_do_not_panic() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/regressions");
    let mut n = 0;
    for (name, f) in TARGETS {
        let dir = root.join(name);
        for e in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let bytes = std::fs::read(e.path()).unwrap();
            f(&bytes);
            n += 1;
        }
    }
    assert!(n > 0, "no saved inputs found under {}", root.display());
}

#[test]
fn random_bytes_do_not_panic() {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    for len in 0..400usize {
        let bytes: Vec<u8> = (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect();
        for (_, f) in TARGETS {
            f(&bytes);
        }
    }
}

#[test]
fn the_valid_join_code_seed_parses() {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/regressions/join_code/seed-valid.txt");
    let code = tend_wire::crypto::JoinCode::parse(&std::fs::read_to_string(p).unwrap()).unwrap();
    assert_eq!(code.relay_url, "https://relay.example.org");
    assert_eq!(code.join_secret, "secret-secret-secret");
}
