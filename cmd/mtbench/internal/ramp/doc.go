// Package ramp spreads the start of a load generator's connections over a
// ramp-up period, so a proxy meets a steady arrival rate instead of one burst:
// connection i of n starts i*ramp/n after the run begins.
package ramp
