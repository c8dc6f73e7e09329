# SPDX-License-Identifier: LGPL-2.1-or-later
# cmake -DOUT=file -DDIR=dir -P embed_templates.cmake: writes every
# DIR/*.mustache as {"name", "bytes"} entries of a C++ initializer list
# (bytes as hex escapes, so no template text can end a string literal).
file(GLOB _files ${DIR}/*.mustache)
list(SORT _files)
set(_out "// Generated from src/notify/templates by embed_templates.cmake; do not edit.\n")
foreach(_f ${_files})
  get_filename_component(_name ${_f} NAME_WE)
  file(READ ${_f} _hex HEX)
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "\\\\x\\1" _esc "${_hex}")
  # Break the literal every 64 bytes (string literals concatenate).
  string(REGEX REPLACE "((\\\\x[0-9a-f][0-9a-f]){64})" "\\1\"\n\"" _esc "${_esc}")
  string(LENGTH "${_hex}" _n)
  math(EXPR _n "${_n} / 2")
  string(APPEND _out "{\"${_name}\", std::string_view(\"${_esc}\", ${_n})},\n")
endforeach()
file(WRITE ${OUT}.tmp "${_out}")
file(COPY_FILE ${OUT}.tmp ${OUT} ONLY_IF_DIFFERENT)
