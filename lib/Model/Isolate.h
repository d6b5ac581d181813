// Runs a piece of work in a forked child process, so that a crash there (in MLIR's bytecode reader, on a
// hostile file) becomes an error for the caller instead of the end of its process.
#pragma once

#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/Support/Error.h"

#include <string>

namespace kiln::model {

// Forks; the child runs `work` and sends back the string it returns; the
// parent returns that string. When the child dies first (a signal, an exit
// before sending, or more than `timeoutSeconds`), the error says how,
// prefixed by `what` (e.g. "the IR reader").
llvm::Expected<std::string> runIsolated(llvm::function_ref<std::string()> work,
                                        const std::string &what, int timeoutSeconds);

} // namespace kiln::model
