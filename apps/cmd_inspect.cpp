// seqlift inspect: one row per node (TSV on stdout), then totals.
#include "common.hpp"
#include "seqlift/inspect.hpp"
#include "seqlift/output.hpp"

namespace seqlift::app {

Subcommand inspect_command() {
  return {"inspect", "List the model's nodes with shapes, parameters, FLOPs and DeepLIFT rules",
          [](CLI::App& cmd) -> std::function<void()> {
            auto model_path = std::make_shared<std::string>();
            auto weights = std::make_shared<std::string>();
            auto output = std::make_shared<std::string>("-");
            auto lambdas = std::make_shared<std::vector<std::string>>();
            add_model_options(cmd, *model_path, *weights);
            add_lambda_option(cmd, *lambdas);
            cmd.add_option("-o,--output", *output, "Output TSV ('-' = stdout)")
                ->capture_default_str()
                ->group(kOutputGroup);
            return [model_path, weights, output, lambdas] {
              auto model =
                  load_model(*model_path, 0, *weights, parse_lambda_declarations(*lambdas));
              const ModelSummary s = summarize(*model);
              OutputFile out(*output);
              std::FILE* f = out.get();
              std::fprintf(f, "# model\t%s\n# input\t[N, 4, %d]\n", model_path->c_str(),
                           model->input_length());
              std::fprintf(f, "name\top\tkind\toutput_shape\tparameters\tflops\tdeeplift_rule\n");
              for (const auto& n : s.nodes)
                std::fprintf(f, "%s\t%s\t%s\t[N, %s\t%lld\t%lld\t%s\n", n.name.c_str(),
                             n.op.c_str(), n.kind.c_str(), n.output_shape.substr(1).c_str(),
                             (long long)n.parameters, (long long)n.flops, n.rule.c_str());
              std::fprintf(f,
                           "# "
                           "total\tnodes=%zu\tparameters=%lld\tflops_per_sequence=%lld\treceptive_"
                           "field=%lld%s\n",
                           s.nodes.size(), (long long)s.parameters, (long long)s.flops,
                           (long long)s.receptive_field, s.global ? " (whole input)" : "");
              out.commit();
            };
          }};
}

}  // namespace seqlift::app
