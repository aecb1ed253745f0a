/* Tumour feeders on liver twins 11-20 against their truth (feeders_eval.h;
 * twins 1-10 in test_feeders.c: 20 twins in all). */
#include "feeders_eval.h"

int main(void) {
  feeders_eval(11, 20);
  return check_done();
}
