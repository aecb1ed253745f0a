/* Tumour feeders on liver twins 1-10 against their truth (feeders_eval.h;
 * twins 11-20 in test_feeders_more.c: 20 twins in all). */
#include "feeders_eval.h"

int main(void) {
  feeders_eval(1, 10);
  return check_done();
}
