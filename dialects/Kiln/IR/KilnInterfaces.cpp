// Generated definitions of the Kiln op interfaces.
#include "dialects/Kiln/IR/KilnInterfaces.h"

#include "dialects/Kiln/IR/KilnInterfaces.cpp.inc"
