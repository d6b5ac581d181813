// A C++ program that runs a model compiled by kiln-aot, linking only libkiln_runtime.so and the model's library:
// reads one .npy per input, writes one .npy per output.
//
//   kiln-aot model.kiln -o libmodel.so                  # writes libmodel.so and model.h
//   c++ -std=c++17 -I<kiln source> -I. -DKILN_MODEL_HEADER='"model.h"' main.cpp \
//       -L. -lmodel -L<kiln build>/lib -lkiln_runtime -Wl,-rpath,. -Wl,-rpath,<kiln build>/lib -o deploy
//   ./deploy [--weights model.weights] [--time N] x.npy y.npy
//
// --time N also runs the model N more times on the same input, into the same output buffers, and prints the time of
// create, of the first run and the median (min, max) of the N runs, in milliseconds (benchmarks/bench_deploy.py).
#include KILN_MODEL_HEADER

#include "runtime/io/Npy.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

int check(int status, const char *what) {
  if (status != KILN_OK)
    std::fprintf(stderr, "deploy: %s failed (status %d): %s\n", what, status, kiln_aot_last_error());
  return status;
}

double msSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

} // namespace

int main(int argc, char **argv) {
  const kiln_aot_model_info &info = KILN_MODEL_INFO;
  const char *weights = nullptr;
  long timeRuns = 0;
  std::vector<std::string> files;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--weights") == 0 && i + 1 < argc) {
      weights = argv[++i];
    } else if (std::strcmp(argv[i], "--time") == 0 && i + 1 < argc) {
      char *end = nullptr;
      timeRuns = std::strtol(argv[++i], &end, 10);
      if (*argv[i] == '\0' || *end != '\0' || timeRuns < 1) {
        std::fprintf(stderr, "deploy: --time needs a positive number of runs, got '%s'\n", argv[i]);
        return 2;
      }
    } else {
      files.push_back(argv[i]);
    }
  }
  if (files.size() != info.num_inputs + info.num_outputs) {
    std::fprintf(stderr,
                 "usage: %s [--weights FILE] [--time N] %u input .npy file(s), then %u output .npy file(s)\n",
                 argv[0], info.num_inputs, info.num_outputs);
    return 2;
  }
  kiln_model *model = nullptr;
  auto createStart = std::chrono::steady_clock::now();
  if (check(kiln_aot_create(&info, weights, &model), "create"))
    return 1;
  double createMs = msSince(createStart);

  std::vector<kiln::Tensor> inputs, outputs;
  std::vector<const void *> inputData;
  std::vector<void *> outputData;
  try {
    for (uint32_t i = 0; i < info.num_inputs; ++i) {
      const kiln_aot_tensor &spec = info.inputs[i];
      kiln::Tensor t = kiln::readNpy(files[i]);
      kiln::IntList shape(spec.shape, spec.shape + spec.rank);
      if (static_cast<int>(t.dtype()) != spec.dtype || t.sizes() != shape) {
        std::fprintf(stderr, "deploy: %s: input '%s' needs %s%s\n", files[i].c_str(), spec.name,
                     kiln::name(static_cast<kiln::DType>(spec.dtype)), kiln::formatList(shape).c_str());
        return 1;
      }
      inputs.push_back(t);
      inputData.push_back(t.data());
    }
    for (uint32_t i = 0; i < info.num_outputs; ++i) {
      const kiln_aot_tensor &spec = info.outputs[i];
      outputs.push_back(kiln::Tensor::empty(kiln::IntList(spec.shape, spec.shape + spec.rank),
                                            static_cast<kiln::DType>(spec.dtype)));
      outputData.push_back(outputs.back().data());
    }
    auto firstStart = std::chrono::steady_clock::now();
    if (check(kiln_aot_run(model, inputData.data(), outputData.data()), "run"))
      return 1;
    double firstMs = msSince(firstStart);
    if (timeRuns > 0) {
      std::vector<double> ms;
      for (long r = 0; r < timeRuns; ++r) {
        auto start = std::chrono::steady_clock::now();
        if (check(kiln_aot_run(model, inputData.data(), outputData.data()), "run"))
          return 1;
        ms.push_back(msSince(start));
      }
      std::sort(ms.begin(), ms.end());
      std::printf("%s: create %.4f ms, first run %.4f ms, median %.4f ms (min %.4f, max %.4f) over %ld runs\n",
                  info.name, createMs, firstMs, ms[ms.size() / 2], ms.front(), ms.back(), timeRuns);
    }
    for (uint32_t i = 0; i < info.num_outputs; ++i)
      kiln::writeNpy(files[info.num_inputs + i], outputs[i]);
  } catch (const std::exception &e) {
    std::fprintf(stderr, "deploy: %s\n", e.what());
    return 1;
  }
  kiln_aot_destroy(model);
  return 0;
}
