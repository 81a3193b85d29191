// seqlift predict: model outputs per sequence as TSV.
#include "common.hpp"
#include "seqlift/error.hpp"
#include "seqlift/extra_inputs.hpp"
#include "seqlift/log.hpp"
#include "seqlift/output.hpp"
#include "seqlift/predict.hpp"
#include "seqlift/score.hpp"

namespace seqlift::app {

Subcommand predict_command() {
  return {"predict", "Run the model on every sequence and write its outputs as TSV",
          [](CLI::App& cmd) -> std::function<void()> {
            struct Options {
              std::string model, weights, output = "-", outputs;
              std::vector<std::string> extra_inputs, lambdas;
              SequenceSourceOptions input;
              SequenceArgs args;
              int threads = 0;
              int64_t length = 0;
              bool logits = false;
            };
            auto opt = std::make_shared<Options>();
            add_model_options(cmd, opt->model, opt->weights);
            cmd.add_flag("--logits", opt->logits,
                         "Report outputs before a final Sigmoid/Softmax (what score explains)")
                ->group(kModelGroup);
            cmd.add_option("--outputs", opt->outputs,
                           "Comma-separated model outputs to write, by name (default: all)")
                ->group(kModelGroup);
            add_extra_input_option(cmd, opt->extra_inputs);
            add_lambda_option(cmd, opt->lambdas);
            add_sequence_options(cmd, opt->input, opt->args, "run the model on", true);
            cmd.add_option("-o,--output", opt->output, "Output TSV ('-' = stdout)")
                ->capture_default_str()
                ->group(kOutputGroup);
            add_threads_option(cmd, opt->threads);
            cmd.add_option("--length", opt->length,
                           "Sequence length for a model with a symbolic input length (default: "
                           "--width)")
                ->group(kModelGroup);
            return [opt] {
              finish_sequence_options(opt->input, opt->args);
              const int threads = effective_threads(opt->threads, 0);
              auto model =
                  load_scoring_model(opt->model, opt->weights, opt->length, opt->input.window.width,
                                     parse_lambda_declarations(opt->lambdas));
              if (opt->input.fasta.empty() && opt->input.window.width == 0)
                opt->input.window.width = model->input_length();  // as score does
              if (opt->logits) model->use_pre_activation_outputs();
              if (!opt->outputs.empty()) select_outputs(*model, opt->outputs);
              const ExtraInputs extras(*model, opt->extra_inputs);
              SequenceSource source(opt->input);
              const std::string src_name = !opt->input.fasta.empty()     ? opt->input.fasta
                                           : !opt->input.regions.empty() ? opt->input.regions
                                                                         : "--region";
              OutputFile out(opt->output);
              std::fprintf(out.get(), "name");
              for (const auto& c : output_columns(*model))
                std::fprintf(out.get(), "\t%s", c.c_str());
              std::fputc('\n', out.get());
              std::size_t total = 0;
              std::vector<Region> batch;
              Region region;
              auto flush = [&] {
                auto x = encode_batch(batch, model->input_length(), src_name);
                std::vector<float> extra(batch.size() * extras.size());
                for (std::size_t i = 0; i < batch.size() && extras.size() > 0; ++i)
                  extras.fill(batch[i], extra.data() + i * extras.size());
                auto y = predict_batch(*model, x.data(), int64_t(batch.size()), threads,
                                       extra.empty() ? nullptr : extra.data());
                const int64_t t = model->output_size();
                for (std::size_t i = 0; i < batch.size(); ++i) {
                  std::fputs(batch[i].name.c_str(), out.get());
                  for (int64_t j = 0; j < t; ++j) std::fprintf(out.get(), "\t%.9g", y[i * t + j]);
                  std::fputc('\n', out.get());
                }
                total += batch.size();
                batch.clear();
              };
              while (source.next(region)) {
                batch.push_back(std::move(region));
                if (batch.size() == 256) flush();
              }
              if (!batch.empty()) flush();
              out.commit();
              source.report();
              log_summary("predict: " + std::to_string(total) + " sequences, " +
                              std::to_string(threads) + " threads",
                          {out_name(opt->output)});
            };
          }};
}

}  // namespace seqlift::app
