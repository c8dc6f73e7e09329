// SPDX-License-Identifier: LGPL-2.1-or-later
// Deliberately unformatted: the format check must name this file.
int  f( int x ){return x+1;}
