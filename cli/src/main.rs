//! `telemetry`: the operator CLI. Runs the same shared code as the Lambda functions by hand.

mod args;
mod commands;
mod output;

use std::process::ExitCode;

use args::{
    Cli, Command, GithubCommand, IngestCommand, KeysCommand, PricesCommand, ProjectsCommand,
};
use clap::Parser;
use telemetry_shared::http::KeyKind;

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("TELEMETRY_LOG")
                .unwrap_or_else(|_| "warn".into()),
        )
        .init();
    let cli = Cli::parse();
    let db = commands::DbArgs {
        url: cli.database_url,
    };
    let result = match cli.command {
        Command::Migrate { create_database } => commands::migrate::run(&db, create_database).await,
        Command::Ingest(IngestCommand::Csv {
            path,
            json,
            batch_rows,
        }) => commands::ingest::csv(&db, path, json, batch_rows).await,
        Command::Ingest(IngestCommand::Jsonl { paths, tree }) => {
            commands::ingest_many::jsonl(&db, &paths, &tree).await
        }
        Command::Ingest(IngestCommand::S3 {
            uri,
            json,
            batch_rows,
        }) => commands::s3::run(&db, &uri, json, batch_rows).await,
        Command::Ingest(IngestCommand::File { paths, tree }) => {
            commands::ingest_many::file(&db, &paths, &tree).await
        }
        Command::Ingest(IngestCommand::All {
            claude,
            codex,
            json,
            time_limit,
            batch_rows,
        }) => commands::ingest_all::run_all(&db, claude, codex, json, time_limit, batch_rows).await,
        Command::Ingest(IngestCommand::Github {
            since,
            repos,
            json,
            time_limit,
        }) => commands::github::ingest(&db, since.as_deref(), &repos, json, time_limit).await,
        Command::Github(GithubCommand::Add { repository }) => {
            commands::github::add(&db, &repository).await
        }
        Command::Github(GithubCommand::Remove { repository }) => {
            commands::github::remove(&db, &repository).await
        }
        Command::Github(GithubCommand::List { json }) => commands::github::list(&db, json).await,
        Command::Keys(KeysCommand::Create {
            project,
            remote,
            repo_root,
            public,
            read,
            all_projects,
            label,
            json,
        }) => {
            let kind = match (public, read) {
                (true, _) => KeyKind::Public,
                (_, true) => KeyKind::Read,
                _ => KeyKind::Secret,
            };
            let project = if all_projects { None } else { project };
            commands::keys::create(
                &db,
                commands::keys::KeySpec {
                    project: project.as_deref(),
                    remote: remote.as_deref(),
                    repo_root: repo_root.as_deref(),
                    kind,
                    label: label.as_deref(),
                },
                json,
            )
            .await
        }
        Command::Keys(KeysCommand::List { project, json }) => {
            commands::keys::list(&db, project.as_deref(), json).await
        }
        Command::Keys(KeysCommand::Revoke { prefix }) => commands::keys::revoke(&db, &prefix).await,
        Command::Cost {
            today,
            since,
            by,
            with_ci,
            json,
        } => {
            let period = commands::query::Period { today, since };
            commands::query::cost(&db, &period, by.as_deref(), with_ci, json).await
        }
        Command::Task { id, json } => commands::query::task(&db, &id, json).await,
        Command::Report {
            html,
            since,
            until,
            project,
        } => {
            commands::report::html(
                &db,
                &html,
                since.as_deref(),
                until.as_deref(),
                project.as_deref(),
            )
            .await
        }
        Command::Worker {
            id,
            show_conversation,
            json,
        } => commands::worker::worker(&db, &id, show_conversation, json).await,
        Command::Events {
            after: Some(after), ..
        } => Err(anyhow::anyhow!(
            "`telemetry events --after` is now `telemetry outbox --after {after}`"
        )),
        Command::Events {
            event_type,
            last,
            json,
            ..
        } => {
            let last = last.as_deref().unwrap_or("24h");
            commands::query::events(&db, event_type.as_deref(), last, json).await
        }
        Command::Outbox {
            after,
            project,
            limit,
            json,
        } => commands::query::outbox(&db, after, project.as_deref(), limit, json).await,
        Command::Prune {
            dry_run,
            retain,
            time_limit,
            json,
        } => commands::prune::run(&db, dry_run, &retain, time_limit, json).await,
        Command::Push(args) => commands::push::run(&args).await,
        Command::Login {
            endpoint,
            key,
            project,
        } => commands::push::login(&endpoint, &key, project.as_deref()),
        Command::Send {
            event,
            props,
            endpoint,
            key,
            dir,
            keep_flushed,
            json,
        } => {
            commands::send::run(
                &event,
                &props,
                endpoint.as_deref(),
                key,
                &dir,
                keep_flushed,
                json,
            )
            .await
        }
        Command::Relay {
            json, parked: true, ..
        } => commands::prune::parked(&db, json).await,
        Command::Relay {
            json,
            retry,
            retry_all,
            ..
        } => commands::prune::relay(&db, json, &retry, retry_all).await,
        Command::Budget { daily, clear } => commands::prune::budget(&db, daily, clear).await,
        Command::Prices {
            action: None,
            model: None,
            json,
        } => commands::prices::summary(&db, json).await,
        Command::Prices {
            action: None,
            model: Some(model),
            json,
        } => commands::prices::show(&db, &model, json).await,
        Command::Prices {
            action:
                Some(PricesCommand::Set {
                    model,
                    input,
                    output,
                    cache_read,
                    cache_write,
                    cache_write_1h,
                    provider,
                    note,
                }),
            ..
        } => {
            let price = commands::prices::NewPrice {
                input,
                output,
                cache_read,
                cache_write,
                cache_write_1h,
                provider,
                note,
            };
            commands::prices::set(&db, &model, price).await
        }
        Command::Prices {
            action: Some(PricesCommand::Unset { model }),
            ..
        } => commands::prices::unset(&db, &model).await,
        Command::Reprice {
            since,
            model,
            dry_run,
            json,
        } => commands::prices::run_reprice(&db, since.as_deref(), model, dry_run, json).await,
        Command::Serve { listen, pool_size } => commands::serve::run(&db, listen, pool_size).await,
        Command::Briefings {
            project,
            status,
            impact,
            drift,
            since,
            limit,
            json,
        } => {
            let filters = [
                ("project", project),
                ("status", status),
                ("impact", impact),
                ("drift", drift),
            ];
            commands::fleet::list(
                &db,
                &commands::fleet::BRIEFINGS,
                &filters,
                &since,
                limit,
                json,
            )
            .await
        }
        Command::Jobs {
            project,
            status,
            pending,
            since,
            limit,
            json,
        } => {
            let filters = [
                ("project", project),
                ("status", status),
                ("pending", pending.then(|| "true".to_string())),
            ];
            commands::fleet::list(&db, &commands::fleet::JOBS, &filters, &since, limit, json).await
        }
        Command::Projects(ProjectsCommand::List {
            archived,
            all,
            repo_root,
            json,
        }) => {
            let status = match (archived, all) {
                (true, _) => "archived",
                (_, true) => "all",
                _ => "active",
            };
            commands::fleet::projects(&db, status, repo_root.as_deref(), json).await
        }
        Command::Projects(ProjectsCommand::Archive { id }) => {
            commands::fleet::archive(&db, &id).await
        }
        Command::Stats { since, json } => commands::stats::run(&db, since.as_deref(), json).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", output::one_line(&e));
            ExitCode::FAILURE
        }
    }
}
