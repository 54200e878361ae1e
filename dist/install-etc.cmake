# install-etc.cmake - the policies and data files under /etc/doorman,
# run by `cmake --install` (and by cpack, into its staging directory).
#
# A file already there is never replaced: it may be the postmaster's
# edited policy.  The shipped version is then written beside it as
# NAME.dist, to compare.  DOORMAN_SRC and DOORMAN_ETC_FILES ("SOURCE=NAME"
# pairs) are set by the install(CODE) before this script (dist/CMakeLists.txt).
set(etc "$ENV{DESTDIR}/etc/doorman")
file(MAKE_DIRECTORY "${etc}")
foreach(pair IN LISTS DOORMAN_ETC_FILES)
  string(REPLACE "=" ";" parts "${pair}")
  list(GET parts 0 src)
  list(GET parts 1 name)
  if(EXISTS "${etc}/${name}")
    message(STATUS "Kept: ${etc}/${name} (exists; the shipped one is ${name}.dist)")
    set(dst "${etc}/${name}.dist")
  else()
    message(STATUS "Installing: ${etc}/${name}")
    set(dst "${etc}/${name}")
  endif()
  # copied as it is in the source tree (0644)
  configure_file("${DOORMAN_SRC}/${src}" "${dst}" COPYONLY)
endforeach()
