fn main() {
    println!("xtask: setup | run | test | bench");
}
