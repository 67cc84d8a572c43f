//! Choosing a provider from `[llm]`: the configuration keys, the loopback guard, and a server
//! that is not there.

use std::path::Path;

use tocsin::config::{Overrides, load_with_env, variables};
use tocsin::llm::{ChatRequest, LlmError, Message, provider_from_config};

use super::server::{collect, config};

/// A URL on this host where nothing listens: a port the OS just gave out, closed again.
async fn dead_url() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    drop(listener);
    format!("http://{addr}")
}

#[tokio::test]
async fn a_dead_server_is_unreachable_naming_the_url() {
    for (kind, path, retries) in [("ollama", "", 0), ("openai", "/v1", 0), ("ollama", "", 2)] {
        let url = format!("{}{path}", dead_url().await);
        let mut c = config(kind, &url, "llama3.2");
        c.retries = retries;
        let p = provider_from_config(&c).unwrap_or_else(|e| panic!("{e}"));
        let request = ChatRequest {
            messages: vec![Message::user("hello?")],
            ..Default::default()
        };
        let items = collect(p.chat(request)).await;
        match &items[..] {
            [
                Err(
                    e @ LlmError::Unreachable {
                        provider, url: at, ..
                    },
                ),
            ] => {
                assert_eq!((*provider, at.as_str()), (kind, url.as_str()));
                assert!(e.to_string().contains(&url), "{e}");
            }
            other => panic!("{kind}: {other:?}"),
        }
    }
}

#[test]
fn remote_servers_need_allow_remote() {
    for (kind, url) in [
        ("ollama", "http://10.20.30.40:11434"),
        ("openai", "http://gpu-box.example:8080/v1"),
    ] {
        let mut c = config(kind, url, "m");
        match provider_from_config(&c) {
            Err(LlmError::RemoteRefused { url: refused }) => assert_eq!(refused, url),
            Err(e) => panic!("{e}"),
            Ok(_) => panic!("{url} was not refused"),
        }
        c.allow_remote = true;
        let p = provider_from_config(&c).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(p.endpoint(), url);
    }
    for url in [
        "http://localhost:11434",
        "http://[::1]:11434",
        "http://127.0.0.2",
    ] {
        assert!(
            provider_from_config(&config("ollama", url, "m")).is_ok(),
            "{url}"
        );
    }
}

#[test]
fn defaults_and_the_embedded_kind() {
    let mut c = config("ollama", "", "llama3.2");
    let p = provider_from_config(&c).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(p.endpoint(), "http://127.0.0.1:11434");
    c.provider = "openai".into();
    let p = provider_from_config(&c).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(p.endpoint(), "http://127.0.0.1:8080/v1");
    c.provider = "embedded".into();
    match provider_from_config(&c) {
        Err(LlmError::Config(m)) => assert!(m.contains("embedded"), "{m}"),
        Err(e) => panic!("{e}"),
        Ok(_) => panic!("embedded built here"),
    }
}

#[test]
fn llm_keys_load_from_files_and_variables_and_bad_ones_are_named() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("c.toml");
    let load = |file: &Path, env: Vec<(String, String)>| {
        let o = Overrides {
            config_file: Some(file.to_path_buf()),
            no_user_config: true,
            data_dir: Some(dir.path().join("data")),
            ..Default::default()
        };
        load_with_env(&o, env)
    };
    std::fs::write(&file, "[llm]\nprovider = \"openai\"\nmodel = \"qwen\"\n").expect("write");
    let env = vec![
        ("TOCSIN_LLM_ALLOW_REMOTE".to_string(), "true".to_string()),
        ("TOCSIN_LLM_RETRIES".to_string(), "5".to_string()),
    ];
    let loaded = load(&file, env).unwrap_or_else(|e| panic!("{e}"));
    let llm = &loaded.config.llm;
    assert_eq!(
        (llm.provider.as_str(), llm.model.as_str()),
        ("openai", "qwen")
    );
    assert!(llm.allow_remote);
    assert_eq!((llm.retries, llm.timeout_secs), (5, 120));

    let env = vec![("TOCSIN_LLM_PROVIDER".to_string(), "chatgpt".to_string())];
    let err = load(&file, env)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        err.contains("llm.provider") && err.contains("chatgpt"),
        "{err}"
    );
    std::fs::write(&file, "[llm]\nprovider = \"gpt\"\n").expect("write");
    let err = load(&file, Vec::new())
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        err.contains("llm.provider") && err.contains("ollama, openai, embedded"),
        "{err}"
    );
    std::fs::write(&file, "[llm]\ntimeout_secs = 0\n").expect("write");
    let err = load(&file, Vec::new())
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(err.contains("llm.timeout_secs"), "{err}");

    let vars = variables();
    for key in [
        "provider",
        "url",
        "model",
        "api_key_env",
        "allow_remote",
        "timeout_secs",
        "retries",
    ] {
        let name = format!("TOCSIN_LLM_{}", key.to_ascii_uppercase());
        assert!(vars.iter().any(|(v, _)| *v == name), "{name}");
    }
}
