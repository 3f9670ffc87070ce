//! `cargo run -p glidepath-build --example kbuild DIR`: prints the build of DIR like
//! `kubectl kustomize DIR` (a quick manual check without building the whole `glidepath` binary).

fn main() -> std::process::ExitCode {
    let Some(dir) = std::env::args().nth(1) else {
        eprintln!("usage: kbuild DIR");
        return std::process::ExitCode::from(2);
    };
    let result =
        glidepath_build::build_dir(std::path::Path::new(&dir)).and_then(|o| glidepath_build::to_yaml_stream(&o));
    match result {
        Ok(text) => {
            print!("{text}");
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            let mut msg = e.to_string();
            let mut src = std::error::Error::source(&e);
            while let Some(s) = src {
                msg.push_str(&format!(": {s}"));
                src = s.source();
            }
            eprintln!("Error: {msg}");
            std::process::ExitCode::FAILURE
        }
    }
}
