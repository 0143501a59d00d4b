/* Masks autoconf symbols of libfreeradius that clash with radlb own.
 * Debian 12 libfreeradius-dev omits this generated header (fixed upstream
 * in FreeRADIUS 3.2.x, 2026); configure adds this directory only then. */
#undef PACKAGE_NAME
#undef PACKAGE_VERSION
#undef PACKAGE_STRING
#undef PACKAGE_TARNAME
#undef PACKAGE_BUGREPORT
#undef PACKAGE_URL
