// Boost.JSON and Boost.URL have no compiled library in Debian 12; they are compiled once, here.
#include <boost/json/src.hpp>
#include <boost/url/src.hpp>
