// harvis: the command-line entry point. Wiring only: each sub-command lives in src/app.
#include <CLI/CLI.hpp>

#include <cstdio>

#include "app/commands.h"
#include "core/units.h"
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

  CommonOptions models_opts;
  harvis::app::PullOptions pull_opts;
  auto* models = cli.add_subcommand("models", "Manage downloaded whisper.cpp models");
  models->require_subcommand(1);
  models->add_option("--config", models_opts.config_path, "YAML configuration file (else $HARVIS_CONFIG)");
  auto* list = models->add_subcommand("list", "Show the known models and which are downloaded");
  auto* pull = models->add_subcommand("pull", "Download a model into the models folder (resumable, checksummed)");
  pull->add_option("name", pull_opts.name, "Model name, e.g. tiny, base.en, large-v3-turbo")->required();
  pull->add_option("--source", pull_opts.source, "Base URL (default: the configuration's model_source)");
  pull->add_option("--sha1", pull_opts.sha1, "Expected SHA-1 of a whisper model (default: the published one)");
  pull->add_option("--sha256", pull_opts.sha256, "Expected SHA-256 of an LLM (default: the published one)");

  CommonOptions plan_opts;
  harvis::app::PlanOptions plan_hw;
  std::vector<std::string> gpu_sizes;
  std::string memory_size;
  auto* plan = cli.add_subcommand("plan", "Show which models fit together where, the worst-case loads, and container sizing");
  plan->add_option("--config", plan_opts.config_path, "YAML configuration file (else $HARVIS_CONFIG)");
  plan->add_option("--gpu", gpu_sizes, "A GPU of this memory size, e.g. 24GiB (repeat for several; default: detected)");
  plan->add_option("--memory", memory_size, "Container memory limit, e.g. 32GiB (default: detected)");
  plan->add_option("--cpus", plan_hw.cpus, "Allocated CPU cores (default: detected)")->check(CLI::PositiveNumber);

  CLI11_PARSE(cli, argc, argv);
  if (*plan) {
    for (const auto& g : gpu_sizes) {
      auto size = harvis::ParseSize(g);
      if (!size || *size == 0) return std::fprintf(stderr, "harvis plan: --gpu: invalid size '%s'\n", g.c_str()), 2;
      plan_hw.gpus.push_back(*size);
    }
    if (!memory_size.empty()) {
      plan_hw.memory = harvis::ParseSize(memory_size);
      if (!plan_hw.memory) return std::fprintf(stderr, "harvis plan: --memory: invalid size '%s'\n", memory_size.c_str()), 2;
    }
    return harvis::app::Plan(plan_opts, plan_hw);
  }
  if (*list) return harvis::app::ModelsList(models_opts);
  if (*pull) return harvis::app::ModelsPull(models_opts, pull_opts);
  if (*serve) return harvis::app::Serve(serve_opts);
  if (*doctor) return harvis::app::Doctor(doctor_opts);
  return 2;
}
