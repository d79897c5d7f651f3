// harvis: the command-line entry point. Wiring only: each sub-command lives in src/app.
#include <CLI/CLI.hpp>

#include "app/commands.h"
#include "app/version.h"

int main(int argc, char** argv) {
  using harvis::app::CommonOptions;
  CLI::App cli{"Harvis: a self-hosted voice assistant backend with a GPU residency scheduler"};
  cli.set_version_flag("--version", std::string("harvis ") + harvis::app::kVersion);
  cli.require_subcommand(1);

  CommonOptions serve_opts;
  auto* serve = cli.add_subcommand("serve", "Run the HTTP server");
  serve->add_option("--config", serve_opts.config_path, "YAML configuration file (else $HARVIS_CONFIG)");
  serve->add_option("--host", serve_opts.host, "Address to listen on (overrides the configuration)");
  serve->add_option("--port", serve_opts.port, "Port to listen on (overrides the configuration)")
      ->check(CLI::Range(0, 65535));

  CommonOptions doctor_opts;
  auto* doctor = cli.add_subcommand("doctor", "Check the machine and configuration, and say whether a server could start");
  doctor->add_option("--config", doctor_opts.config_path, "YAML configuration file (else $HARVIS_CONFIG)");
  doctor->add_option("--port", doctor_opts.port, "Port the server would listen on")->check(CLI::Range(0, 65535));

  CLI11_PARSE(cli, argc, argv);
  if (*serve) return harvis::app::Serve(serve_opts);
  if (*doctor) return harvis::app::Doctor(doctor_opts);
  return 2;
}
