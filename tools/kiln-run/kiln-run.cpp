// kiln-run: compiles one function of an MLIR file (or loads a model file), runs it on .npy (or seeded random)
// inputs and writes or prints the results.
#include "lib/Compiler/JIT.h"
#include "lib/Model/Module.h"
#include "runtime/core/BFloat16.h"
#include "runtime/core/Error.h"
#include "runtime/io/Npy.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <iostream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace {

const char kUsage[] =
    "usage: kiln-run FILE.mlir [--entry NAME] [--input IN.npy]... "
    "[--output OUT.npy]...\n"
    "                [--print] [--time N] [--seed S] [--pipeline PASSES]\n"
    "                [--no-vectorize] [--no-parallelize] [--no-extern-kernels]\n"
    "       kiln-run MODEL.kiln [--input IN.npy]... [--output OUT.npy]... [--print]\n"
    "                [--time N] [--seed S]\n"
    "Compiles function NAME (default: the only public one) through the compile\n"
    "caches and runs it; a model file (kiln.jit.save) is loaded and checked\n"
    "whole, and its @forward runs with its weights. Without --input, inputs are\n"
    "random (seeded by --seed). Each --output names the .npy file of one result,\n"
    "in order; --print prints the results; --time N prints the median time of N\n"
    "runs.\n";

struct Options {
  std::string file;
  std::vector<std::string> inputs;
  std::vector<std::string> outputs;
  kiln::compiler::CompileOptions compile;
  bool print = false;
  int timeRuns = 0;
  unsigned seed = 0;
};

[[noreturn]] void usageError(const std::string &message) {
  std::cerr << "kiln-run: error: " << message << "\n" << kUsage;
  std::exit(2);
}

Options parseArgs(int argc, char **argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc)
        usageError(arg + " needs a value");
      return argv[++i];
    };
    auto number = [&]() -> long {
      std::string text = value();
      char *end = nullptr;
      long n = std::strtol(text.c_str(), &end, 10);
      if (text.empty() || *end != '\0' || n < 0)
        usageError(arg + " needs a non-negative integer, got '" + text + "'");
      return n;
    };
    if (arg == "--help" || arg == "-h") {
      std::cout << kUsage;
      std::exit(0);
    } else if (arg == "--entry") {
      options.compile.entry = value();
    } else if (arg == "--input") {
      options.inputs.push_back(value());
    } else if (arg == "--output") {
      options.outputs.push_back(value());
    } else if (arg == "--print") {
      options.print = true;
    } else if (arg == "--time") {
      options.timeRuns = static_cast<int>(number());
    } else if (arg == "--seed") {
      options.seed = static_cast<unsigned>(number());
    } else if (arg == "--pipeline") {
      options.compile.pipeline = value();
    } else if (arg == "--no-vectorize") {
      options.compile.lowering.vectorize = false;
    } else if (arg == "--no-parallelize") {
      options.compile.lowering.parallelize = false;
    } else if (arg == "--no-extern-kernels") {
      options.compile.lowering.externKernels = false;
    } else if (!arg.empty() && arg[0] == '-') {
      usageError("unknown option " + arg);
    } else if (options.file.empty()) {
      options.file = arg;
    } else {
      usageError("more than one input file (" + options.file + ", " + arg + ")");
    }
  }
  if (options.file.empty())
    usageError("no input file");
  return options;
}

float halfToFloat(uint16_t h) {
  const int sign = h >> 15, exponent = (h >> 10) & 0x1f, mantissa = h & 0x3ff;
  float magnitude;
  if (exponent == 0)
    magnitude = std::ldexp(static_cast<float>(mantissa), -24);
  else if (exponent == 31)
    magnitude = mantissa ? NAN : INFINITY;
  else
    magnitude = std::ldexp(static_cast<float>(mantissa | 0x400), exponent - 25);
  return sign ? -magnitude : magnitude;
}

std::string element(const kiln::Tensor &t, int64_t i) {
  const char *p = static_cast<const char *>(t.data()) + i * t.elementSize();
  char buffer[64];
  switch (t.dtype()) {
  case kiln::DType::Float32:
    std::snprintf(buffer, sizeof buffer, "%.6g", *reinterpret_cast<const float *>(p));
    break;
  case kiln::DType::Float64:
    std::snprintf(buffer, sizeof buffer, "%.6g", *reinterpret_cast<const double *>(p));
    break;
  case kiln::DType::Float16:
    std::snprintf(buffer, sizeof buffer, "%.6g",
                  halfToFloat(*reinterpret_cast<const uint16_t *>(p)));
    break;
  case kiln::DType::BFloat16:
    std::snprintf(buffer, sizeof buffer, "%.6g",
                  kiln::bfloat16ToFloat(*reinterpret_cast<const uint16_t *>(p)));
    break;
  case kiln::DType::Int8: return std::to_string(*reinterpret_cast<const int8_t *>(p));
  case kiln::DType::Int32: return std::to_string(*reinterpret_cast<const int32_t *>(p));
  case kiln::DType::Int64: return std::to_string(*reinterpret_cast<const int64_t *>(p));
  case kiln::DType::UInt8: return std::to_string(*reinterpret_cast<const uint8_t *>(p));
  case kiln::DType::Bool: return *p ? "true" : "false";
  }
  return buffer;
}

// Uniform floats in [-1, 1), small integers, random booleans.
kiln::Tensor randomTensor(const kiln::TensorSpec &spec, std::mt19937 &rng) {
  kiln::Tensor t = kiln::Tensor::empty(spec.sizes, spec.dtype);
  std::uniform_real_distribution<double> real(-1.0, 1.0);
  std::uniform_int_distribution<int> small(-10, 10);
  char *p = static_cast<char *>(t.data());
  for (int64_t i = 0, n = t.numel(); i < n; ++i) {
    switch (spec.dtype) {
    case kiln::DType::Float32: reinterpret_cast<float *>(p)[i] = static_cast<float>(real(rng)); break;
    case kiln::DType::Float64: reinterpret_cast<double *>(p)[i] = real(rng); break;
    case kiln::DType::BFloat16:
      reinterpret_cast<uint16_t *>(p)[i] =
          kiln::floatToBFloat16(static_cast<float>(real(rng)));
      break;
    case kiln::DType::Float16:
      kiln::fail(kiln::ErrorKind::Value,
                 "random float16 inputs are not supported; pass --input");
    case kiln::DType::Int8: reinterpret_cast<int8_t *>(p)[i] = static_cast<int8_t>(small(rng)); break;
    case kiln::DType::Int32: reinterpret_cast<int32_t *>(p)[i] = small(rng); break;
    case kiln::DType::Int64: reinterpret_cast<int64_t *>(p)[i] = small(rng); break;
    case kiln::DType::UInt8: reinterpret_cast<uint8_t *>(p)[i] = static_cast<uint8_t>(small(rng) + 10); break;
    case kiln::DType::Bool: p[i] = static_cast<char>(small(rng) > 0); break;
    }
  }
  return t;
}

// What both kinds of file run: a name for messages, the specs, the call.
struct Runner {
  std::string name;
  std::vector<kiln::TensorSpec> inputs;
  std::vector<kiln::TensorSpec> outputs;
  std::string signature;
  std::function<std::vector<kiln::Tensor>(const std::vector<kiln::Tensor> &)> run;
  // Runs again into the outputs of the first run (no allocation), if it can.
  std::function<void(const std::vector<kiln::Tensor> &, const std::vector<kiln::Tensor> &)>
      runInto;
};

int runWith(const Options &options, const Runner &runner) {
  if (!options.inputs.empty() && options.inputs.size() != runner.inputs.size()) {
    std::cerr << "kiln-run: error: " << runner.name << " takes "
              << runner.inputs.size() << " input(s) " << runner.signature << ", but "
              << options.inputs.size() << " --input were given\n";
    return 1;
  }
  if (!options.outputs.empty() && options.outputs.size() != runner.outputs.size()) {
    std::cerr << "kiln-run: error: " << runner.name << " returns "
              << runner.outputs.size() << " result(s), but "
              << options.outputs.size() << " --output were given\n";
    return 1;
  }

  std::vector<kiln::Tensor> inputs;
  std::mt19937 rng(options.seed);
  for (size_t i = 0; i < runner.inputs.size(); ++i)
    inputs.push_back(options.inputs.empty() ? randomTensor(runner.inputs[i], rng)
                                            : kiln::readNpy(options.inputs[i]));
  std::vector<kiln::Tensor> outputs = runner.run(inputs);

  if (options.timeRuns > 0) {
    std::vector<double> ms;
    for (int r = 0; r < options.timeRuns; ++r) {
      auto start = std::chrono::steady_clock::now();
      if (runner.runInto)
        runner.runInto(inputs, outputs);
      else
        runner.run(inputs);
      ms.push_back(std::chrono::duration<double, std::milli>(
                       std::chrono::steady_clock::now() - start)
                       .count());
    }
    std::sort(ms.begin(), ms.end());
    std::printf("%s: median %.4f ms over %d runs\n", runner.name.c_str(),
                ms[ms.size() / 2], options.timeRuns);
  }
  for (size_t i = 0; i < outputs.size(); ++i) {
    if (i < options.outputs.size())
      kiln::writeNpy(options.outputs[i], outputs[i]);
    if (options.print) {
      std::printf("result %zu: %s\n", i,
                  kiln::formatSpec(runner.outputs[i]).c_str());
      for (int64_t k = 0, n = outputs[i].numel(); k < n; ++k)
        std::printf("%s%s", k ? " " : "", element(outputs[i], k).c_str());
      std::printf("\n");
    }
  }
  return 0;
}

// A model file starts with the Kiln container's magic bytes.
bool isModelFile(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  char magic[8] = {};
  return in.read(magic, sizeof magic) && std::memcmp(magic, "\x89KILN\r\n\x1a", 8) == 0;
}

int runModel(const Options &options) {
  const kiln::LoweringOptions defaults;
  const kiln::LoweringOptions &lowering = options.compile.lowering;
  if (!options.compile.entry.empty() || !options.compile.pipeline.empty() ||
      lowering.vectorize != defaults.vectorize || lowering.parallelize != defaults.parallelize ||
      lowering.externKernels != defaults.externKernels)
    usageError("--entry, --pipeline and --no-* apply to .mlir files, not to a model file");
  kiln::jit::Module model = kiln::jit::load(options.file);
  Runner runner;
  runner.name = options.file;
  std::string signature = "(";
  for (const kiln::jit::TensorInfo &t : model.inputs()) {
    runner.inputs.push_back({t.dtype, t.shape});
    signature += (runner.inputs.size() > 1 ? ", " : "") + t.name + ": " +
                 kiln::formatSpec(runner.inputs.back());
  }
  signature += ") -> (";
  for (const kiln::jit::TensorInfo &t : model.outputs()) {
    runner.outputs.push_back({t.dtype, t.shape});
    signature += (runner.outputs.size() > 1 ? ", " : "") + t.name + ": " +
                 kiln::formatSpec(runner.outputs.back());
  }
  runner.signature = signature + ")";
  runner.run = [&](const std::vector<kiln::Tensor> &inputs) { return model.forward(inputs); };
  return runWith(options, runner);
}

int run(const Options &options) {
  if (isModelFile(options.file))
    return runModel(options);
  std::ifstream in(options.file);
  if (!in) {
    std::cerr << "kiln-run: error: cannot open " << options.file << ": "
              << std::strerror(errno) << "\n";
    return 1;
  }
  std::stringstream text;
  text << in.rdbuf();

  kiln::compiler::CompileResult compiled =
      kiln::compiler::compile(text.str(), options.compile);
  if (!compiled.executable) {
    std::cerr << compiled.diagnostics << "kiln-run: error: cannot compile "
              << options.file << "\n";
    return 1;
  }
  std::shared_ptr<kiln::Executable> exe = compiled.executable;
  const kiln::Signature &sig = exe->signature();
  Runner runner;
  runner.name = "@" + sig.name;
  runner.inputs = sig.inputs;
  runner.outputs = sig.outputs;
  runner.signature = kiln::formatSignature(sig);
  runner.run = [exe](const std::vector<kiln::Tensor> &inputs) { return exe->run(inputs); };
  runner.runInto = [exe](const std::vector<kiln::Tensor> &inputs,
                         const std::vector<kiln::Tensor> &outputs) {
    exe->runInto(inputs, outputs);
  };
  return runWith(options, runner);
}

} // namespace

int main(int argc, char **argv) {
  Options options = parseArgs(argc, argv);
  try {
    return run(options);
  } catch (const kiln::Error &e) {
    std::cerr << "kiln-run: error: " << e.what() << "\n";
    return 1;
  }
}
