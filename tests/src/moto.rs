//! A real `moto_server` (PyPI `moto[server]`, installed by `scripts/test`) on a free loopback
//! port, for S3 and EventBridge through the real AWS SDK clients. Killed when dropped.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};

/// A running moto server.
pub struct Moto {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub endpoint: String,
}

impl Moto {
    /// Starts a server and waits until it accepts connections.
    pub fn start() -> Moto {
        let port = crate::free_port();
        let child = Command::new("moto_server")
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("moto_server on PATH (scripts/test installs it from requirements-dev.txt)");
        let moto = Moto {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
        };
        crate::wait_for_port(port, Duration::from_secs(30), "moto_server");
        moto
    }

    /// A real S3 client pointed at this server.
    pub fn s3(&self) -> aws_sdk_s3::Client {
        let conf = aws_sdk_s3::config::Builder::new()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .credentials_provider(Credentials::new("test", "test", None, None, "moto"))
            .endpoint_url(&self.endpoint)
            .force_path_style(true)
            .build();
        aws_sdk_s3::Client::from_conf(conf)
    }
}

impl Moto {
    /// A real EventBridge client pointed at this server.
    pub fn eventbridge(&self) -> aws_sdk_eventbridge::Client {
        let conf = aws_sdk_eventbridge::config::Builder::new()
            .behavior_version(aws_sdk_eventbridge::config::BehaviorVersion::latest())
            .region(aws_sdk_eventbridge::config::Region::new("us-east-1"))
            .credentials_provider(aws_sdk_eventbridge::config::Credentials::new(
                "test", "test", None, None, "moto",
            ))
            .endpoint_url(&self.endpoint)
            .build();
        aws_sdk_eventbridge::Client::from_conf(conf)
    }

    /// A real SQS client pointed at this server.
    pub fn sqs(&self) -> aws_sdk_sqs::Client {
        let conf = aws_sdk_sqs::config::Builder::new()
            .behavior_version(aws_sdk_sqs::config::BehaviorVersion::latest())
            .region(aws_sdk_sqs::config::Region::new("us-east-1"))
            .credentials_provider(aws_sdk_sqs::config::Credentials::new(
                "test", "test", None, None, "moto",
            ))
            .endpoint_url(&self.endpoint)
            .build();
        aws_sdk_sqs::Client::from_conf(conf)
    }

    /// The environment that points the functions' AWS clients at this server.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ENDPOINT_URL", self.endpoint.clone()),
            ("AWS_ACCESS_KEY_ID", "test".into()),
            ("AWS_SECRET_ACCESS_KEY", "test".into()),
            ("AWS_REGION", "us-east-1".into()),
            ("S3_FORCE_PATH_STYLE", "true".into()),
        ]
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
