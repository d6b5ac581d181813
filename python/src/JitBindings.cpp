// Binds kiln.jit's C++ half: capturing a traced forward, exporting it as Kiln IR, and model IR <-> bytecode.
#include "python/src/Bindings.h"

#include "lib/Compiler/ModelIR.h"
#include "lib/Model/Isolate.h"
#include "lib/Trace/Export.h"

#include <pybind11/stl.h>

namespace py = pybind11;
using kiln::trace::LazyTensor;

namespace {

std::vector<LazyTensor> tensors(py::handle list) {
  std::vector<LazyTensor> out;
  for (py::handle item : list)
    out.push_back(item.cast<LazyTensor>());
  return out;
}

py::list typesToPython(const std::vector<kiln::compiler::ModelIR::TensorType> &types) {
  py::list list;
  for (const auto &t : types)
    list.append(py::make_tuple(t.element, py::tuple(py::cast(t.shape))));
  return list;
}

kiln::compiler::ModelIR checked(kiln::compiler::ModelIR result, const char *what) {
  if (!result.ok)
    throw py::value_error(std::string(what) + ": invalid model IR:\n" + result.diagnostics);
  return result;
}

} // namespace

void bindJit(py::module_ &m) {
  m.def("_jit_begin_capture", [](py::list arguments) { kiln::trace::beginCapture(tensors(arguments)); },
        "Starts capturing a forward whose arguments are `arguments` (inputs, then weights).");
  m.def("_jit_end_capture", [] {
    kiln::trace::CaptureSummary s = kiln::trace::endCapture();
    return py::make_tuple(py::cast(s.modified), py::cast(s.eagerKernels));
  }, "Ends the capture; returns (indices of arguments updated in place, eager kernels that ran).");
  m.def("_jit_export", [](py::list outputs, const std::string &name) {
    kiln::trace::ExportedFunction f = kiln::trace::exportCapture(tensors(outputs), name);
    py::list constants, ops;
    for (kiln::Tensor &t : f.constants)
      constants.append(py::cast(LazyTensor::fromTensor(t)));
    for (const kiln::trace::ExportedOp &op : f.ops)
      ops.append(py::make_tuple(std::string(op.op), py::cast(op.inputs), op.attrs,
                                dtypeObject(op.dtype), py::tuple(py::cast(op.sizes))));
    return py::make_tuple(f.text, constants, ops, py::cast(f.results));
  }, py::arg("outputs"), py::arg("name") = "forward",
     "The captured graph of `outputs` as (module text, constants, ops, result ids); ops are "
     "(name, input ids, attrs, dtype, sizes), ids count arguments, then constants, then ops.");
  m.def("_ir_to_bytecode", [](const std::string &text, bool modelRules) {
    kiln::compiler::ModelIR r;
    {
      py::gil_scoped_release release;
      r = kiln::compiler::modelToBytecode(text, modelRules);
    }
    return py::bytes(checked(std::move(r), "_ir_to_bytecode()").output);
  }, py::arg("text"), py::arg("model_rules") = true,
     "Verifies model IR text (one public func.func @forward; builtin, func and kiln ops only; "
     "model_rules=False skips these rules, for tests that write hostile files) and returns it as "
     "MLIR bytecode. Raises ValueError with the reason.");
  m.def("_ir_from_bytecode", [](py::bytes data) {
    std::string bytes = data;
    kiln::compiler::ModelIR r;
    std::string failure;
    {
      py::gil_scoped_release release;
      // MLIR 19's bytecode reader can crash on a crafted blob (one whose
      // checksum is right): it runs in a forked child, as kiln::jit::load's
      // does, so that a crash is an error here (lib/Model/Isolate.h).
      llvm::Expected<std::string> out = kiln::model::runIsolated(
          [&] {
            kiln::compiler::ModelIR child = kiln::compiler::modelFromBytecode(bytes);
            return (child.ok ? "1" : "0") + (child.ok ? child.output : child.diagnostics);
          },
          "the IR reader", 60);
      if (!out) {
        failure = llvm::toString(out.takeError());
      } else if (!out->empty()) {
        r.ok = (*out)[0] == '1';
        (r.ok ? r.output : r.diagnostics) = out->substr(1);
      }
    }
    if (!failure.empty())
      throw py::value_error("_ir_from_bytecode(): invalid model IR:\n" + failure);
    return checked(std::move(r), "_ir_from_bytecode()").output;
  }, "Parses MLIR bytecode, verifies it as model IR and returns the printed module. "
     "Raises ValueError with the reason.");
  m.def("_ir_signature", [](const std::string &text) {
    kiln::compiler::ModelIR r = checked(kiln::compiler::modelToBytecode(text), "_ir_signature()");
    return py::make_tuple(typesToPython(r.arguments), typesToPython(r.results));
  }, "@forward's ([(element type, shape)] of arguments, same of results) of model IR text.");
}
