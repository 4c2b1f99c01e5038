//! Compiles `proto/hotline/v1/*.proto` with protox, a pure-Rust protobuf compiler, so a
//! fresh machine needs no `protoc`. The same descriptor set feeds gRPC reflection.

use std::{env, fs, path::PathBuf};

use prost::Message;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let proto_dir = PathBuf::from("proto");
    let mut files: Vec<PathBuf> = fs::read_dir(proto_dir.join("hotline/v1"))?
        .map(|entry| entry.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    files.retain(|p| p.extension().is_some_and(|ext| ext == "proto"));
    files.sort();

    let descriptors = protox::compile(&files, [&proto_dir])?;
    let out_dir = PathBuf::from(env::var("OUT_DIR")?);
    fs::write(
        out_dir.join("hotline_descriptor.bin"),
        descriptors.encode_to_vec(),
    )?;

    tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        // Personal data: src/lib.rs gives it a Debug that masks.
        .skip_debug([".hotline.v1.Requester"])
        .compile_fds(descriptors)?;

    println!("cargo:rerun-if-changed=proto");
    Ok(())
}
