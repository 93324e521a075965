#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    tend_relay::fuzzing::key_update_body(data);
});
