// seqlift predict: model outputs per sequence as TSV.
#include "common.hpp"
#include "seqlift/log.hpp"
#include "seqlift/predict.hpp"

namespace seqlift::app {

Subcommand predict_command() {
  return {"predict", "Run the model on every sequence and write its outputs as TSV",
          [](CLI::App& cmd) -> std::function<void()> {
            auto opt = std::make_shared<PredictOptions>();
            auto args = std::make_shared<SequenceArgs>();
            add_model_options(cmd, opt->model, opt->weights);
            cmd.add_flag("--logits", opt->logits,
                         "Report outputs before a final Sigmoid/Softmax (what score explains)")
                ->group(kModelGroup);
            cmd.add_option("--outputs", opt->outputs,
                           "Comma-separated model outputs to write, by name (default: all)")
                ->group(kModelGroup);
            add_extra_input_option(cmd, opt->extra_inputs);
            add_lambda_option(cmd, opt->lambdas);
            add_sequence_options(cmd, opt->input, *args, "run the model on", true);
            cmd.add_option("-o,--output", opt->output, "Output TSV ('-' = stdout)")
                ->capture_default_str()
                ->group(kOutputGroup);
            add_threads_option(cmd, opt->threads);
            cmd.add_option("--length", opt->length,
                           "Sequence length for a model with a symbolic input length (default: "
                           "--width)")
                ->group(kModelGroup);
            return [opt, args] {
              finish_sequence_options(opt->input, *args);
              const PredictSummary summary = run_predict(*opt);
              log_summary("predict: " + std::to_string(summary.sequences) + " sequences, " +
                              std::to_string(summary.threads) + " threads",
                          {out_name(opt->output)});
            };
          }};
}

}  // namespace seqlift::app
